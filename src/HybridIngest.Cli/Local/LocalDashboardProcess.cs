using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using HybridIngest.Contracts;
using HybridIngest.Offline;

namespace HybridIngest.Cli.Local;

/// <summary>
/// The stack's trace viewer (<c>local up --dashboard</c>): the standalone Aspire dashboard from the
/// NuGet package <c>Aspire.Dashboard.Sdk.linux-x64</c>, which the build restores into the NuGet cache
/// and whose folder it writes into this assembly. It listens on loopback only, on ports it picks
/// itself (port 0), for the browser and for OTLP/HTTP; anonymous, since nothing but this machine can
/// reach it. Ready when it prints both addresses.
/// </summary>
static partial class LocalDashboardProcess
{
    public const string Name = "dashboard";

    const string DirectoryMetadata = "AspireDashboardDirectory";
    const string ExecutableName = "Aspire.Dashboard";

    /// <summary>Where the build found the dashboard (the package's tools/ folder in the NuGet cache).</summary>
    public static string Executable => Path.Combine(
        typeof(LocalDashboardProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == DirectoryMetadata).Value!,
        ExecutableName);

    /// <summary>The started dashboard: its page, its OTLP/HTTP endpoint, and the variables that point the server and the function there.</summary>
    public sealed record Started(LocalProcess Process, string Page, string OtlpEndpoint)
    {
        public IReadOnlyDictionary<string, string> TelemetryEnvironment { get; } = new Dictionary<string, string>
        {
            [TelemetryNames.OtlpEndpoint] = OtlpEndpoint,
            [TelemetryNames.OtlpProtocol] = "http/protobuf",
        };
    }

    /// <summary>Throws <see cref="ExitCode.MissingTool"/> when the dashboard cannot run here, saying why and what to do.</summary>
    public static void Require()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            throw new UserException(
                $"--dashboard runs the Aspire dashboard of the NuGet package Aspire.Dashboard.Sdk.linux-x64, which is for Linux on x64 only (this is {RuntimeInformation.OSDescription}, {RuntimeInformation.OSArchitecture}).",
                ExitCode.MissingTool);
        }
        if (!File.Exists(Executable))
        {
            throw new UserException(
                $"The Aspire dashboard is not at {Executable}, where this build of hybrid restored it (was the NuGet cache cleared?). Run 'dotnet build src/HybridIngest.Cli' in the repository to restore it.",
                ExitCode.MissingTool);
        }
    }

    public static async Task<Started> StartAsync(LocalState state, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = "http://127.0.0.1:0",
            // No OTLP/gRPC endpoint (one set in the user's environment would be inherited): the function speaks OTLP/HTTP only.
            ["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = null,
            ["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true",
        };
        var dashboard = DetachedProcess.Start(Executable, [], state.LogFile(Name), environment, Path.GetDirectoryName(Executable));
        string page = "", otlp = "";
        var process = await StackProcess.ReadyAsync(Name, dashboard, async () =>
        {
            // It prints the page's address first, then the OTLP one: once the second is there, so is the first.
            otlp = (await dashboard.WaitForLogLineAsync(OtlpListening(), StackProcess.ReadyTimeout, cancellationToken)).Groups[1].Value;
            page = (await dashboard.WaitForLogLineAsync(PageListening(), StackProcess.ReadyTimeout, cancellationToken)).Groups[1].Value;
            return new Uri(page).Port;
        });
        return new Started(process, page, otlp);
    }

    [GeneratedRegex(@"OTLP/HTTP listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex OtlpListening();

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex PageListening();
}
