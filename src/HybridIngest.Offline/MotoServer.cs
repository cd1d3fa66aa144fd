using System.Text.RegularExpressions;

namespace HybridIngest.Offline;

/// <summary>
/// How <c>moto_server</c> (the AWS API emulator) is launched and recognised as ready, and the keys
/// it accepts: one definition for <c>hybrid local up</c>, which starts it detached, and for the tests
/// and benchmarks, which start it as their child (<c>MotoProcess</c> in tests/HybridIngest.Testing).
/// </summary>
public static partial class MotoServer
{
    /// <summary>Credentials moto accepts (it needs an Authorization header, not a valid one).</summary>
    public const string AccessKeyId = "testing";
    public const string SecretAccessKey = "testing";

    /// <summary>Loopback only, on a port the OS picks (<c>-p 0</c>, so no race for a free port).</summary>
    public static IReadOnlyList<string> Arguments { get; } = ["-H", "127.0.0.1", "-p", "0"];

    /// <summary>The line moto_server prints once it serves, with its port.</summary>
    [GeneratedRegex(@"Running on http://127\.0\.0\.1:(\d+)")]
    public static partial Regex RunningOn();

    /// <summary>The port in a line <see cref="RunningOn"/> matched.</summary>
    public static int Port(Match running) => int.Parse(running.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
}
