using HybridIngest.Testing;

namespace HybridIngest.Server.Tests;

/// <summary>
/// Settings are validated at start: the server process exits with code 2 and one line on stderr
/// naming the setting, without a stack trace, and never listens.
/// </summary>
public sealed class SettingsTests
{
    static async Task<(int ExitCode, string Error)> RunServerAsync(Dictionary<string, string> settings)
    {
        var environment = new Dictionary<string, string?> { ["S3_BUCKET"] = null };
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }
        var server = await ExternalProcess.RunAsync("dotnet", [typeof(Program).Assembly.Location, "--urls", "http://127.0.0.1:0"],
            environment, timeout: TimeSpan.FromSeconds(60));
        return (server.ExitCode, server.StandardError);
    }

    [Fact]
    public async Task FailsAtStartWithoutBucket()
    {
        var (exitCode, error) = await RunServerAsync([]);

        Assert.Equal(2, exitCode);
        Assert.Contains("S3_BUCKET is not set", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Theory]
    [InlineData("S3_BUCKET", "Not_A_Bucket", "S3_BUCKET is not a valid bucket name")]
    [InlineData("AWS_ENDPOINT_URL_S3", "not a url", "AWS_ENDPOINT_URL_S3 is not an absolute http(s) URL")]
    [InlineData("INGEST_MAX_REDIRECTS", "50", "MaxRedirects")]
    [InlineData("INGEST_MAX_IMAGE_BYTES", "fifty", "INGEST_MAX_IMAGE_BYTES")]
    public async Task FailsAtStartOnInvalidSetting(string name, string value, string expected)
    {
        var (exitCode, error) = await RunServerAsync(new Dictionary<string, string> { ["S3_BUCKET"] = "images", [name] = value });

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("   at ", error);
    }
}
