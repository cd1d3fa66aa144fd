using HybridIngest.Testing;

namespace HybridIngest.Server.Tests;

/// <summary>
/// Settings are validated at start: the server process exits with code 2 and one line on stderr
/// naming the setting (or the address it cannot listen on), without a stack trace, and never listens.
/// </summary>
public sealed class SettingsTests
{
    static async Task<(int ExitCode, string Error)> RunServerAsync(Dictionary<string, string> settings, string urls = "http://127.0.0.1:0")
    {
        // Nothing from this machine's AWS settings: each test names what the server gets.
        var environment = new Dictionary<string, string?>
        {
            ["S3_BUCKET"] = null,
            ["AWS_REGION"] = null,
            ["AWS_DEFAULT_REGION"] = null,
            ["AWS_ENDPOINT_URL"] = null,
            ["AWS_ENDPOINT_URL_S3"] = null,
            ["AWS_CONFIG_FILE"] = "/nonexistent",
            ["AWS_EC2_METADATA_DISABLED"] = "true",
        };
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }
        var server = await ExternalProcess.RunAsync("dotnet", [typeof(Program).Assembly.Location, "--urls", urls],
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

    [Fact]
    public async Task FailsAtStartWithoutARegionOrEndpointForS3()
    {
        var (exitCode, error) = await RunServerAsync(new Dictionary<string, string> { ["S3_BUCKET"] = "images" });

        Assert.Equal(2, exitCode);
        Assert.Contains("cannot start: S3 client: No RegionEndpoint or ServiceURL configured (see AWS_REGION and AWS_ENDPOINT_URL_S3)", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Theory]
    [InlineData("not-a-url", "Invalid url")]
    [InlineData("http://127.0.0.1:99999", "cannot listen on")]
    [InlineData("http://192.0.2.1:8080", "cannot listen on http://192.0.2.1:8080: Cannot assign requested address")] // TEST-NET-1: not this machine's
    public async Task FailsAtStartOnAnAddressItCannotListenOn(string urls, string expected)
    {
        var (exitCode, error) = await RunServerAsync(new Dictionary<string, string> { ["S3_BUCKET"] = "images", ["AWS_REGION"] = "us-east-1" }, urls);

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public async Task FailsAtStartWhenItsPortIsTaken()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var urls = $"http://127.0.0.1:{((System.Net.IPEndPoint)taken.LocalEndpoint).Port}";

        var (exitCode, error) = await RunServerAsync(new Dictionary<string, string> { ["S3_BUCKET"] = "images", ["AWS_REGION"] = "us-east-1" }, urls);

        Assert.Equal(2, exitCode);
        Assert.Contains($"cannot listen on {urls}: Failed to bind to address {urls}: address already in use.", error);
        Assert.DoesNotContain("   at ", error);
    }
}
