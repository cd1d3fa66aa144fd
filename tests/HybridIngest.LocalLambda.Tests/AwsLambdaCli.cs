using System.Globalization;
using System.Text.RegularExpressions;
using HybridIngest.Offline;
using HybridIngest.Testing;

namespace HybridIngest.LocalLambda.Tests;

/// <summary>The real AWS CLI's <c>aws lambda …</c> against a local host: dummy keys, no profile, one attempt.</summary>
static partial class AwsLambdaCli
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(Uri endpoint, params string[] arguments)
    {
        var aws = await ExternalProcess.RunAsync("aws",
            ["lambda", .. arguments, "--endpoint-url", endpoint.ToString().TrimEnd('/'), "--output", "json"],
            new Dictionary<string, string?>
            {
                ["AWS_ACCESS_KEY_ID"] = MotoServer.AccessKeyId,
                ["AWS_SECRET_ACCESS_KEY"] = MotoServer.SecretAccessKey,
                ["AWS_DEFAULT_REGION"] = "us-east-1",
                ["AWS_CONFIG_FILE"] = "/dev/null",
                ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
                ["AWS_PAGER"] = "",
                ["AWS_MAX_ATTEMPTS"] = "1",
            },
            timeout: TimeSpan.FromMinutes(2));
        return (aws.ExitCode, aws.StandardOutput, aws.StandardError);
    }

    /// <summary>
    /// <c>--payload</c> as the installed CLI reads it: version 2 takes base64 unless told otherwise,
    /// version 1 (pip) sends it as is and has no such option.
    /// </summary>
    public static async Task<string[]> RawPayloadArgumentsAsync(string payload)
    {
        var version = await ExternalProcess.RunAsync("aws", ["--version"]);
        var said = version.StandardOutput + version.StandardError;
        var match = Version().Match(said);
        var major = match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException($"aws --version said: {said}");
        return major >= 2 ? ["--cli-binary-format", "raw-in-base64-out", "--payload", payload] : ["--payload", payload];
    }

    [GeneratedRegex(@"aws-cli/(\d+)\.")]
    private static partial Regex Version();
}
