using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace HybridIngest.LocalLambda.Tests;

/// <summary>The real AWS CLI's <c>aws lambda …</c> against a local host: dummy keys, no profile, one attempt.</summary>
static partial class AwsLambdaCli
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(Uri endpoint, params string[] arguments)
    {
        var start = new ProcessStartInfo("aws")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["AWS_ACCESS_KEY_ID"] = "testing",
                ["AWS_SECRET_ACCESS_KEY"] = "testing",
                ["AWS_DEFAULT_REGION"] = "us-east-1",
                ["AWS_CONFIG_FILE"] = "/dev/null",
                ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
                ["AWS_PAGER"] = "",
                ["AWS_MAX_ATTEMPTS"] = "1",
            },
        };
        foreach (var argument in (string[])["lambda", .. arguments, "--endpoint-url", endpoint.ToString().TrimEnd('/'), "--output", "json"])
        {
            start.ArgumentList.Add(argument);
        }
        using var aws = Process.Start(start)!;
        var output = aws.StandardOutput.ReadToEndAsync();
        var error = aws.StandardError.ReadToEndAsync();
        await aws.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (aws.ExitCode, await output, await error);
    }

    /// <summary>
    /// <c>--payload</c> as the installed CLI reads it: version 2 takes base64 unless told otherwise,
    /// version 1 (pip) sends it as is and has no such option.
    /// </summary>
    public static async Task<string[]> RawPayloadArgumentsAsync(string payload)
    {
        using var version = Process.Start(new ProcessStartInfo("aws", ["--version"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var said = await version.StandardOutput.ReadToEndAsync() + await version.StandardError.ReadToEndAsync();
        await version.WaitForExitAsync();
        var match = Version().Match(said);
        var major = match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException($"aws --version said: {said}");
        return major >= 2 ? ["--cli-binary-format", "raw-in-base64-out", "--payload", payload] : ["--payload", payload];
    }

    [GeneratedRegex(@"aws-cli/(\d+)\.")]
    private static partial Regex Version();
}
