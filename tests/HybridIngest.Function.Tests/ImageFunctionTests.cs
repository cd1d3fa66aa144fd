using System.Text;
using System.Text.Json;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using Microsoft.AspNetCore.Http;

namespace HybridIngest.Function.Tests;

public sealed class ImageFunctionTests
{
    const string ImageUrl = "https://images.example/cat.png";
    const string StoredJson = """{"success":true,"message":"Image processed successfully","image_id":"abc","key":"images/abc.png"}""";

    static readonly HttpClient Http = ServerClient.CreateHttpClient();

    static Task Answer(HttpContext context, int status, string body, string contentType = "application/json")
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        return context.Response.WriteAsync(body);
    }

    static async Task<(FunctionResponse Response, JsonElement Body)> InvokeAsync(Uri serverBase, string payload, TimeSpan? remaining = null)
    {
        var function = new ImageFunction(new ServerClient(Http, new Uri(serverBase, "process-image")));
        var invocation = new Invocation("req-1", DateTimeOffset.UtcNow + (remaining ?? TimeSpan.FromSeconds(30)), null, null, Encoding.UTF8.GetBytes(payload));
        var bytes = await function.HandleAsync(invocation, CancellationToken.None);
        var response = JsonSerializer.Deserialize(bytes, HybridIngestJsonContext.Default.FunctionResponse)!;
        return (response, JsonDocument.Parse(response.Body).RootElement.Clone());
    }

    [Fact]
    public async Task PostsImageUrlTimestampAndRequestIdAndWrapsTheServerAnswer()
    {
        await using var server = await StandInServer.StartAsync(context => Answer(context, 200, StoredJson));

        var (response, body) = await InvokeAsync(server.BaseUri, $$"""{"image_url":"{{ImageUrl}}"}""");

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("Image processed successfully", body.GetProperty("message").GetString());
        Assert.Equal("images/abc.png", body.GetProperty("result").GetProperty("key").GetString());
        Assert.True(body.GetProperty("lambda_ec2_call_time_ms").GetDouble() > 0);
        var received = Assert.Single(server.Received);
        Assert.Equal(("POST", "/process-image"), (received.Method, received.Path));
        var request = JsonSerializer.Deserialize(received.Body, HybridIngestJsonContext.Default.ProcessImageRequest)!;
        Assert.Equal(ImageUrl, request.ImageUrl);
        Assert.Equal("req-1", request.RequestId);
        Assert.Equal("req-1", received.Header(ServerHeaders.RequestId));
        Assert.True(DateTimeOffset.TryParse(request.Timestamp, out _));
    }

    [Fact]
    public async Task WritesItsAnswerWithReadableEscapingAsTheAwsCliSavesIt()
    {
        const string url = "https://images.example/a+b.png?x=1&y=<2>";
        const string stored = """{"success":true,"message":"Image \"a+b\" stored","key":"images/é+1.png"}""";
        await using var server = await StandInServer.StartAsync(context => Answer(context, 200, stored));
        var function = new ImageFunction(new ServerClient(Http, new Uri(server.BaseUri, "process-image")));
        var invocation = new Invocation("req-1", DateTimeOffset.UtcNow.AddSeconds(30), null, null,
            Encoding.UTF8.GetBytes($$"""{"image_url":"{{url}}"}"""));

        var written = Encoding.UTF8.GetString(await function.HandleAsync(invocation, CancellationToken.None));

        // The body is a JSON string inside JSON: its quotes are \" and its '+', '<', 'é' themselves.
        Assert.DoesNotContain("\\u00", written, StringComparison.Ordinal);
        Assert.Contains("\\\"key\\\":\\\"images/é+1.png\\\"", written, StringComparison.Ordinal);
        var body = JsonDocument.Parse(JsonSerializer.Deserialize(written, HybridIngestJsonContext.Default.FunctionResponse)!.Body).RootElement;
        Assert.Equal("images/é+1.png", body.GetProperty("result").GetProperty("key").GetString());
    }

    [Fact]
    public async Task AcceptsTheApiGatewayShapeWithTheEventInBody()
    {
        await using var server = await StandInServer.StartAsync(context => Answer(context, 200, StoredJson));

        var (response, _) = await InvokeAsync(server.BaseUri, JsonSerializer.Serialize(new { body = $$"""{"image_url":"{{ImageUrl}}"}""" }));

        Assert.Equal(200, response.StatusCode);
        Assert.Contains(ImageUrl, Assert.Single(server.Received).Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("[1,2]")]
    [InlineData("{}")]
    [InlineData("""{"image_url": 42}""")]
    [InlineData("""{"image_url": "  "}""")]
    [InlineData("""{"body": "not json"}""")]
    [InlineData("""{"body": {"image_url": "https://images.example/cat.png"}}""")]
    [InlineData("""{"body": "{\"url\": \"https://images.example/cat.png\"}"}""")]
    public async Task RejectsBadEventsWith400InvalidRequestWithoutCallingTheServer(string payload)
    {
        await using var server = await StandInServer.StartAsync(context => Answer(context, 200, StoredJson));

        var (response, body) = await InvokeAsync(server.BaseUri, payload);

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(ErrorCodes.InvalidRequest, body.GetProperty("code").GetString());
        Assert.Contains("image_url", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task PassesTheServerErrorStatusCodeAndMessageThrough()
    {
        await using var server = await StandInServer.StartAsync(context => Answer(context, 400,
            """{"status":400,"title":"Bad URL","detail":"d","error":"image_url must be http(s)","code":"invalid_url"}""", "application/problem+json"));

        var (response, body) = await InvokeAsync(server.BaseUri, $$"""{"image_url":"{{ImageUrl}}"}""");

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(ErrorCodes.InvalidUrl, body.GetProperty("code").GetString());
        Assert.Equal("image_url must be http(s)", body.GetProperty("error").GetString());
        Assert.Equal(400, body.GetProperty("result").GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData(400, 400)] // the lab's server: a download that failed, a missing image_url
    [InlineData(404, 404)]
    [InlineData(500, 502)] // the lab's server: S3 failed, or anything unexpected
    [InlineData(503, 502)]
    public async Task PassesALabStyleErrorThroughWithTheServersMessage(int serverStatus, int expectedStatus)
    {
        const string labError = "Failed to download image: 404 Client Error: Not Found for url: https://images.example/cat.png";
        await using var server = await StandInServer.StartAsync(context => Answer(context, serverStatus,
            JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = labError })));

        var (response, body) = await InvokeAsync(server.BaseUri, $$"""{"image_url":"{{ImageUrl}}"}""");

        Assert.Equal(expectedStatus, response.StatusCode);
        Assert.Equal(labError, body.GetProperty("error").GetString());
        Assert.Equal(ErrorCodes.ServerError, body.GetProperty("code").GetString());
        Assert.Equal(labError, body.GetProperty("result").GetProperty("error").GetString());
        Assert.True(body.TryGetProperty("lambda_ec2_call_time_ms", out _));
    }

    [Theory]
    [InlineData(502, ErrorCodes.DownloadFailed, 502)]
    [InlineData(503, ErrorCodes.Overloaded, 502)]
    [InlineData(504, ErrorCodes.OriginTimeout, 504)]
    [InlineData(413, ErrorCodes.TooLarge, 413)]
    public async Task PassesAProblemThroughWithItsCodeAndA4xxOr504StatusElse502(int serverStatus, string code, int expectedStatus)
    {
        await using var server = await StandInServer.StartAsync(context => Answer(context, serverStatus,
            $$"""{"status":{{serverStatus}},"title":"t","detail":"d","error":"t: d","code":"{{code}}"}""", "application/problem+json"));

        var (response, body) = await InvokeAsync(server.BaseUri, $$"""{"image_url":"{{ImageUrl}}"}""");

        Assert.Equal(expectedStatus, response.StatusCode);
        Assert.Equal(code, body.GetProperty("code").GetString());
        Assert.Equal("t: d", body.GetProperty("error").GetString());
        Assert.Equal(serverStatus, body.GetProperty("result").GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData(400, """{"message":"no"}""")]
    [InlineData(500, """{"error":42,"code":"storage_failed"}""")]
    [InlineData(404, "{}")]
    public async Task AnswersJsonErrorsWithoutAnErrorStringWith502BadServerResponse(int serverStatus, string answer)
    {
        await using var server = await StandInServer.StartAsync(context => Answer(context, serverStatus, answer));

        var (response, body) = await InvokeAsync(server.BaseUri, $$"""{"image_url":"{{ImageUrl}}"}""");

        Assert.Equal(502, response.StatusCode);
        Assert.Equal(ErrorCodes.BadServerResponse, body.GetProperty("code").GetString());
        Assert.Contains($"{serverStatus}", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task AnswersServerUnreachableWith502()
    {
        var closedPort = new Uri($"http://127.0.0.1:{FreePort.Next()}/");

        var (response, body) = await InvokeAsync(closedPort, $$"""{"image_url":"{{ImageUrl}}"}""");

        Assert.Equal(502, response.StatusCode);
        Assert.Equal(ErrorCodes.ServerUnreachable, body.GetProperty("code").GetString());
        Assert.True(body.TryGetProperty("lambda_ec2_call_time_ms", out _));
    }

    [Fact]
    public async Task AnswersServerTimeoutWith504BeforeTheDeadline()
    {
        var release = new TaskCompletionSource();
        await using var server = await StandInServer.StartAsync(context => release.Task.WaitAsync(context.RequestAborted));
        try
        {
            var (response, body) = await InvokeAsync(server.BaseUri, $$"""{"image_url":"{{ImageUrl}}"}""", remaining: TimeSpan.FromSeconds(1.5));

            Assert.Equal(504, response.StatusCode);
            Assert.Equal(ErrorCodes.ServerTimeout, body.GetProperty("code").GetString());
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task AnswersAtOnceWith504WhenNoTimeIsLeft()
    {
        await using var server = await StandInServer.StartAsync(context => Answer(context, 200, StoredJson));

        var (response, body) = await InvokeAsync(server.BaseUri, $$"""{"image_url":"{{ImageUrl}}"}""", remaining: TimeSpan.FromMilliseconds(100));

        Assert.Equal(504, response.StatusCode);
        Assert.Equal(ErrorCodes.ServerTimeout, body.GetProperty("code").GetString());
        Assert.Empty(server.Received);
    }

    [Theory]
    [InlineData(200, "<html>oops</html>", "text/html")]
    [InlineData(500, "Internal Server Error", "text/plain")]
    [InlineData(200, "[1,2,3]", "application/json")]
    public async Task AnswersNonJsonServerAnswersWith502BadServerResponse(int status, string answer, string contentType)
    {
        await using var server = await StandInServer.StartAsync(context => Answer(context, status, answer, contentType));

        var (response, body) = await InvokeAsync(server.BaseUri, $$"""{"image_url":"{{ImageUrl}}"}""");

        Assert.Equal(502, response.StatusCode);
        Assert.Equal(ErrorCodes.BadServerResponse, body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task AnswersAHugeServerAnswerWith502BadServerResponse()
    {
        var huge = $$"""{"padding":"{{new string('x', ServerClient.MaxAnswerBytes)}}"}""";
        await using var server = await StandInServer.StartAsync(async context =>
        {
            // Chunked, so the size shows only while reading.
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(huge[..1000]);
            await context.Response.WriteAsync(huge[1000..]);
        });

        var (response, body) = await InvokeAsync(server.BaseUri, $$"""{"image_url":"{{ImageUrl}}"}""");

        Assert.Equal(502, response.StatusCode);
        Assert.Equal(ErrorCodes.BadServerResponse, body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task ReusesOneKeptAliveConnectionAcrossInvocations()
    {
        var connections = new HashSet<string>();
        await using var server = await StandInServer.StartAsync(context =>
        {
            lock (connections)
            {
                connections.Add(context.Connection.Id);
            }
            return Answer(context, 200, StoredJson);
        });
        using var http = ServerClient.CreateHttpClient();
        var function = new ImageFunction(new ServerClient(http, new Uri(server.BaseUri, "process-image")));

        for (var i = 0; i < 3; i++)
        {
            await function.HandleAsync(new Invocation($"r{i}", DateTimeOffset.UtcNow.AddSeconds(30), null, null,
                Encoding.UTF8.GetBytes($$"""{"image_url":"{{ImageUrl}}"}""")), CancellationToken.None);
        }

        Assert.Single(connections);
    }
}
