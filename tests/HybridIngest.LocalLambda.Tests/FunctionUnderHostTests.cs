using System.Text.Json;
using System.Text.RegularExpressions;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Testing;

namespace HybridIngest.LocalLambda.Tests;

/// <summary>The published Native AOT bootstrap under the host, against the real server and moto.</summary>
public sealed partial class FunctionUnderHostTests(IngestStack stack) : IClassFixture<IngestStack>
{
    /// <summary>Amazon Linux 2023's glibc: the newest symbol version the binary may need.</summary>
    static readonly Version NewestAllowedGlibc = new(2, 34);

    [Fact]
    public async Task IngestsSixteenConcurrentInvocationsIntoS3()
    {
        var images = Enumerable.Range(0, 16)
            .Select(i => (Image: SampleImages.All[i % SampleImages.All.Count], Url: stack.Origin.Serve($"/concurrent/{i}", SampleImages.All[i % SampleImages.All.Count])))
            .ToList();

        var answers = await Task.WhenAll(images.Select(i => Invoker.InvokeAsync(stack.Host, JsonSerializer.Serialize(new { image_url = i.Url.ToString() }))));

        for (var i = 0; i < images.Count; i++)
        {
            Assert.Equal(200, answers[i].Status);
            Assert.Null(answers[i].Header(InvokeApiHeaders.FunctionError));
            var response = JsonDocument.Parse(answers[i].Body).RootElement;
            Assert.Equal(200, response.GetProperty("statusCode").GetInt32());
            var body = JsonDocument.Parse(response.GetProperty("body").GetString()!).RootElement;
            Assert.True(body.GetProperty("lambda_ec2_call_time_ms").GetDouble() > 0);
            var result = body.GetProperty("result");
            Assert.Equal(IngestStack.Bucket, result.GetProperty("bucket").GetString());
            await AssertStoredAsync(result.GetProperty("key").GetString()!, images[i].Image.Bytes);
        }
        Assert.Equal(16, answers.Select(a => a.Header("x-amzn-RequestId")).Distinct().Count());
        foreach (var answer in answers)
        {
            // The function's one structured log line per invocation, as CloudWatch would get it.
            var requestId = answer.Header("x-amzn-RequestId")!;
            var line = await stack.Log.WaitForAsync(l => l.StartsWith('{') && l.Contains($"\"request_id\":\"{requestId}\"", StringComparison.Ordinal));
            var entry = JsonDocument.Parse(line).RootElement;
            Assert.Equal("invocation", entry.GetProperty("message").GetString());
            Assert.Equal(200, entry.GetProperty("status_code").GetInt32());
        }
    }

    [Fact]
    public async Task AwsCliInvokeReturnsTheFunctionsPayload()
    {
        var imageUrl = stack.Origin.Serve("/cli/cat.png", SampleImages.Png);
        var outFile = Path.Combine(TempDirectories.Create("hybrid-cli-"), "out.json");
        var payloadArguments = await AwsLambdaCli.RawPayloadArgumentsAsync(JsonSerializer.Serialize(new { image_url = imageUrl.ToString() }));
        var (exitCode, stdout, stderr) = await AwsLambdaCli.RunAsync(stack.Host.Endpoint, ["invoke", "--function-name", IngestStack.FunctionName, .. payloadArguments, outFile]);

        Assert.True(exitCode == 0, $"aws lambda invoke failed ({exitCode}): {stderr}");
        var summary = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(200, summary.GetProperty("StatusCode").GetInt32());
        Assert.Equal("$LATEST", summary.GetProperty("ExecutedVersion").GetString());
        var payload = JsonDocument.Parse(await File.ReadAllTextAsync(outFile)).RootElement;
        Assert.Equal(200, payload.GetProperty("statusCode").GetInt32());
        var body = JsonDocument.Parse(payload.GetProperty("body").GetString()!).RootElement;
        await AssertStoredAsync(body.GetProperty("result").GetProperty("key").GetString()!, SampleImages.Png.Bytes);
    }

    [Fact]
    public async Task LogsTheImageUrlWithoutUserInfoOrQuery()
    {
        var served = stack.Origin.Serve("/log/secret.png", SampleImages.Png);
        var url = new UriBuilder(served) { UserName = "alice", Password = "pa55word", Query = "X-Amz-Signature=5ec12e7deadbeef" }.Uri;

        var answer = await Invoker.InvokeAsync(stack.Host, JsonSerializer.Serialize(new { image_url = url.ToString() }));

        Assert.Equal(200, answer.Status);
        var logged = await stack.Log.WaitForAsync(line => line.Contains("\"invocation\"", StringComparison.Ordinal) && line.Contains("/log/secret.png", StringComparison.Ordinal));
        Assert.Contains("\"image_url\":\"http://127.0.0.1:", logged, StringComparison.Ordinal);
        Assert.Contains("/log/secret.png?(query hidden)\"", logged, StringComparison.Ordinal);
        Assert.All(stack.Log.Lines, line => Assert.DoesNotContain("5ec12e7deadbeef", line, StringComparison.Ordinal));
        Assert.All(stack.Log.Lines, line => Assert.DoesNotContain("pa55word", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnswersAnInvalidEventWith400FromTheFunctionNotAnError()
    {
        var answer = await Invoker.InvokeAsync(stack.Host, """{"image_url": 42}""");

        Assert.Equal(200, answer.Status);
        Assert.Null(answer.Header(InvokeApiHeaders.FunctionError));
        var response = JsonDocument.Parse(answer.Body).RootElement;
        Assert.Equal(400, response.GetProperty("statusCode").GetInt32());
        Assert.Contains("\"code\":\"invalid_request\"", response.GetProperty("body").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SurfacesTheBootstrapsInitErrorWhenServerUrlIsMissing()
    {
        await using var host = await LocalLambdaHost.StartAsync(new LocalLambdaOptions
        {
            FunctionName = "unconfigured",
            BootstrapPath = await Bootstraps.PublishedAsync(),
        });

        var answer = await Invoker.InvokeAsync(host, """{"image_url":"https://images.example/a.png"}""");

        Assert.Equal("Unhandled", answer.Header(InvokeApiHeaders.FunctionError));
        var error = JsonDocument.Parse(answer.Body).RootElement;
        Assert.Equal("Runtime.InvalidConfiguration", error.GetProperty("errorType").GetString());
        Assert.Contains("SERVER_URL is not set", error.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        Assert.Empty(host.EnvironmentProcessIds);
    }

    [Fact]
    public async Task PublishedBootstrapNeedsNoGlibcNewerThanAmazonLinux2023s()
    {
        var objdump = await ExternalProcess.RunAsync("objdump", ["-T", await Bootstraps.PublishedAsync()]);

        var versions = GlibcVersion().Matches(objdump.StandardOutput).Select(m => Version.Parse(m.Groups[1].Value)).Distinct().ToList();

        Assert.Equal(0, objdump.ExitCode);
        Assert.NotEmpty(versions);
        Assert.All(versions, v => Assert.True(v <= NewestAllowedGlibc, $"the bootstrap needs GLIBC_{v}, newer than {NewestAllowedGlibc}"));
    }

    async Task AssertStoredAsync(string key, byte[] expected)
    {
        using var stored = await stack.S3.GetObjectAsync(IngestStack.Bucket, key);
        using var bytes = new MemoryStream();
        await stored.ResponseStream.CopyToAsync(bytes);
        Assert.Equal(expected, bytes.ToArray());
    }

    [GeneratedRegex(@"GLIBC_(\d+\.\d+(?:\.\d+)?)")]
    private static partial Regex GlibcVersion();
}
