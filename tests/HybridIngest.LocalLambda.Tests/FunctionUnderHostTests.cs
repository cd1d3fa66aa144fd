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
    public async Task OneTraceLinksTheFunctionsSpanToTheServersRequestDownloadAndS3Spans()
    {
        // "localhost", not 127.0.0.1 as the other tests: a host the server has no pooled connection to,
        // so the download opens one and records its "connected" event.
        var served = stack.Origin.Serve("/trace/cat.png", SampleImages.Png);
        var url = new UriBuilder(served) { Host = "localhost", Query = "X-Amz-Signature=7race5ecret" }.Uri;

        var answer = await Invoker.InvokeAsync(stack.Host, JsonSerializer.Serialize(new { image_url = url.ToString() }));

        Assert.Equal(200, answer.Status);
        var requestId = answer.Header(InvokeApiHeaders.RequestId)!;
        List<ReceivedSpan> Mine(IEnumerable<ReceivedSpan> spans) =>
            [.. spans.Where(s => s.Attributes.GetValueOrDefault(TelemetryNames.RequestIdAttribute) == requestId)];
        await stack.Otlp.WaitForAsync(spans => Mine(spans) is var mine
            && mine.Any(s => s.Service == "hybrid-ingest-function") && mine.Any(s => s.Name == "download") && mine.Any(s => s.Name == "s3.put_object")
            && mine.Any(s => s.Service == "hybrid-ingest-server" && s.Name.Contains("/process-image", StringComparison.Ordinal)));
        var spans = Mine(stack.Otlp.Spans);
        var function = Assert.Single(spans, s => s.Service == "hybrid-ingest-function");
        var request = Assert.Single(spans, s => s.Name.Contains("/process-image", StringComparison.Ordinal));
        var download = Assert.Single(spans, s => s.Name == "download");
        var store = Assert.Single(spans, s => s.Name == "s3.put_object");
        Assert.Equal("hybrid-ingest-server", request.Service);
        Assert.Equal(function.SpanId, request.ParentSpanId);
        Assert.Equal(request.SpanId, download.ParentSpanId);
        Assert.Equal(request.SpanId, store.ParentSpanId);
        Assert.Equal(["connected", "first_byte"], download.Events);
        Assert.Equal(IngestStack.Bucket, store.Attributes["aws.s3.bucket"]);
        // One trace, and every span in it (the SDK's HTTP client spans too) names the request.
        var trace = stack.Otlp.Spans.Where(s => s.TraceId == function.TraceId).ToList();
        Assert.True(trace.Count > 4, $"only {trace.Count} spans in the trace");
        Assert.All(trace, s => Assert.Equal(requestId, s.Attributes.GetValueOrDefault(TelemetryNames.RequestIdAttribute)));
        Assert.All(stack.Otlp.Spans, s => Assert.All(s.Attributes.Values, value => Assert.DoesNotContain("7race5ecret", value, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task TheInvocationLogLineIsCloudWatchEmbeddedMetricFormat()
    {
        var imageUrl = stack.Origin.Serve("/emf/cat.png", SampleImages.Png);

        var answer = await Invoker.InvokeAsync(stack.Host, JsonSerializer.Serialize(new { image_url = imageUrl.ToString() }));

        var requestId = answer.Header(InvokeApiHeaders.RequestId)!;
        var line = await stack.Log.WaitForAsync(l => l.StartsWith('{') && l.Contains($"\"request_id\":\"{requestId}\"", StringComparison.Ordinal));
        var metrics = EmbeddedMetricFormat.Parse(line);
        Assert.Equal(["invocations", "errors", "duration_ms", "lambda_ec2_call_time_ms"], metrics.Select(m => m.Name));
        Assert.All(metrics, m => Assert.Equal(EmbeddedMetrics.Namespace, m.Namespace));
        Assert.Equal(("Count", 1.0), (metrics[0].Unit, metrics[0].Value));
        Assert.Equal(("Count", 0.0), (metrics[1].Unit, metrics[1].Value));
        Assert.Equal("Milliseconds", metrics[3].Unit);
        Assert.True(metrics[3].Value > 0);
        Assert.Equal(IngestStack.FunctionName, JsonDocument.Parse(line).RootElement.GetProperty("function_name").GetString());
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
