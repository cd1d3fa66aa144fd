using System.Text;
using System.Text.Json;
using HybridIngest.Contracts;
using Microsoft.AspNetCore.Http;

namespace HybridIngest.Function.Tests;

/// <summary>
/// The function side of the hostile-input matrix: events that are not what the lab sends get a 400
/// answer without a server call, and server answers that are not the server's JSON get a 502 with
/// a code. Never an unhandled error: every case must come back as a function response.
/// </summary>
public sealed class HostileEventTests
{
    const string ImageUrl = "https://images.example/cat.png";
    const string StoredJson = """{"success":true,"message":"Image processed successfully","image_id":"abc","key":"images/abc.png"}""";
    const int SixMegabytes = LambdaLimits.MaxPayloadBytes;

    static readonly HttpClient Http = ServerClient.CreateHttpClient();

    static async Task<(int Status, string? Code)> InvokeAsync(StandInServer server, byte[] payload)
    {
        var function = new ImageFunction(new ServerClient(Http, new Uri(server.BaseUri, "process-image")));
        var invocation = new Invocation("hostile-1", DateTimeOffset.UtcNow.AddSeconds(30), null, null, payload);
        var bytes = await function.HandleAsync(invocation, CancellationToken.None);
        var response = JsonSerializer.Deserialize(bytes, HybridIngestJsonContext.Default.FunctionResponse)!;
        var body = JsonSerializer.Deserialize(response.Body, HybridIngestJsonContext.Default.FunctionResponseBody)!;
        return (response.StatusCode, body.Code);
    }

    static Task<StandInServer> StoringServerAsync() => StandInServer.StartAsync(context =>
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(StoredJson);
    });

    static string Padded(int bytes) => $$"""{"image_url":"{{ImageUrl}}","padding":"{{new string('x', bytes)}}"}""";

    [Theory]
    [InlineData("JSON string", "\"https://images.example/cat.png\"")]
    [InlineData("JSON number", "42")]
    [InlineData("JSON boolean", "true")]
    [InlineData("JSON array of the URL", "[\"https://images.example/cat.png\"]")]
    [InlineData("image_url an array", """{"image_url": ["https://images.example/cat.png"]}""")]
    [InlineData("image_url an object", """{"image_url": {"href": "https://images.example/cat.png"}}""")]
    [InlineData("image_url a boolean", """{"image_url": true}""")]
    [InlineData("image_url null, no body", """{"image_url": null}""")]
    [InlineData("body a number", """{"body": 42}""")]
    [InlineData("body an array", """{"body": ["{\"image_url\": \"https://images.example/cat.png\"}"]}""")]
    [InlineData("body holding truncated JSON", """{"body": "{\"image_url\": "}""")]
    [InlineData("body holding a JSON array", """{"body": "[\"https://images.example/cat.png\"]"}""")]
    [InlineData("body holding a JSON string", """{"body": "\"https://images.example/cat.png\""}""")]
    [InlineData("body holding null", """{"body": "null"}""")]
    [InlineData("body holding a body (one level only)", """{"body": "{\"body\": \"{\\\"image_url\\\": \\\"https://images.example/cat.png\\\"}\"}"}""")]
    [InlineData("body holding image_url of the wrong type", """{"body": "{\"image_url\": 7}"}""")]
    [InlineData("truncated JSON", """{"image_url": "https://images.example/cat.png" """)]
    [InlineData("trailing garbage", """{"image_url": "https://images.example/cat.png"} x""")]
    public async Task AnswersBadEventWith400WithoutCallingTheServer(string kind, string payload)
    {
        await using var server = await StoringServerAsync();

        var (status, code) = await InvokeAsync(server, Encoding.UTF8.GetBytes(payload));

        Assert.True(status == 400 && code == ErrorCodes.InvalidRequest, $"{kind}: {status} {code}");
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task AnswersDeeplyNestedEventWith400()
    {
        await using var server = await StoringServerAsync();
        var payload = $$"""{"image_url":"{{ImageUrl}}","x":{{new string('[', 10_000)}}{{new string(']', 10_000)}}}""";

        var (status, code) = await InvokeAsync(server, Encoding.UTF8.GetBytes(payload));

        Assert.Equal((400, ErrorCodes.InvalidRequest), (status, code));
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task AnswersEventThatIsNotUtf8With400()
    {
        await using var server = await StoringServerAsync();
        byte[] payload = [.. "{\"image_url\":\"https://images.example/"u8, 0xC3, 0x28, 0xFF, .. "\"}"u8];

        var (status, code) = await InvokeAsync(server, payload);

        Assert.Equal((400, ErrorCodes.InvalidRequest), (status, code));
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task AnswersEventOver6MBWith400WithoutCallingTheServer()
    {
        await using var server = await StoringServerAsync();

        var (status, code) = await InvokeAsync(server, Encoding.UTF8.GetBytes(Padded(SixMegabytes)));

        Assert.Equal((400, ErrorCodes.InvalidRequest), (status, code));
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task AnswersBodyOver6MBWith400WithoutCallingTheServer()
    {
        await using var server = await StoringServerAsync();
        var payload = JsonSerializer.Serialize(new FunctionEvent(Body: Padded(SixMegabytes)), HybridIngestJsonContext.Default.FunctionEvent);

        var (status, code) = await InvokeAsync(server, Encoding.UTF8.GetBytes(payload));

        Assert.Equal((400, ErrorCodes.InvalidRequest), (status, code));
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task ForwardsEventJustUnder6MB()
    {
        // The limit is Lambda's own: a large but allowed event is still served.
        await using var server = await StoringServerAsync();

        var (status, _) = await InvokeAsync(server, Encoding.UTF8.GetBytes(Padded(SixMegabytes - 1024)));

        Assert.Equal(200, status);
        Assert.Single(server.Received);
    }

    [Theory]
    [InlineData("empty 200", 200, "", "application/json")]
    [InlineData("JSON string", 200, "\"ok\"", "application/json")]
    [InlineData("JSON null", 200, "null", "application/json")]
    [InlineData("truncated JSON", 200, "{\"success\": tr", "application/json")]
    [InlineData("XML", 200, "<?xml version=\"1.0\"?><ok/>", "application/xml")]
    [InlineData("problem that is HTML", 502, "<html><body>Bad Gateway</body></html>", "text/html")]
    [InlineData("503 plain text", 503, "Service Unavailable", "text/plain")]
    public async Task AnswersServerAnswerThatIsNotItsJsonWith502(string kind, int status, string answer, string contentType)
    {
        await using var server = await StandInServer.StartAsync(context =>
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = contentType;
            return context.Response.WriteAsync(answer);
        });

        var (functionStatus, code) = await InvokeAsync(server, Encoding.UTF8.GetBytes($$"""{"image_url":"{{ImageUrl}}"}"""));

        Assert.True(functionStatus == 502 && code == ErrorCodes.BadServerResponse, $"{kind}: {functionStatus} {code}");
    }

    [Fact]
    public async Task AnswersDeeplyNestedServerAnswerWith502()
    {
        await using var server = await StandInServer.StartAsync(context =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync($"{{\"x\":{new string('[', 1000)}{new string(']', 1000)}}}");
        });

        var (status, code) = await InvokeAsync(server, Encoding.UTF8.GetBytes($$"""{"image_url":"{{ImageUrl}}"}"""));

        Assert.Equal((502, ErrorCodes.BadServerResponse), (status, code));
    }

    [Fact]
    public async Task AnswersHugeServerAnswerWithContentLengthWith502()
    {
        var huge = Encoding.UTF8.GetBytes($$"""{"padding":"{{new string('x', 8 * 1024 * 1024)}}"}""");
        await using var server = await StandInServer.StartAsync(context =>
        {
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = huge.Length;
            return context.Response.Body.WriteAsync(huge).AsTask();
        });

        var (status, code) = await InvokeAsync(server, Encoding.UTF8.GetBytes($$"""{"image_url":"{{ImageUrl}}"}"""));

        Assert.Equal((502, ErrorCodes.BadServerResponse), (status, code));
    }

    [Fact]
    public async Task AnswersServerAnswerCutShortWith502()
    {
        await using var server = await StandInServer.StartAsync(async context =>
        {
            // Announces more than it sends, then drops the connection.
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = 10_000;
            await context.Response.WriteAsync("{\"success\": true,");
            await context.Response.Body.FlushAsync();
            context.Abort();
        });

        var (status, code) = await InvokeAsync(server, Encoding.UTF8.GetBytes($$"""{"image_url":"{{ImageUrl}}"}"""));

        // The reset may overtake the headers (server_unreachable) or cut the body (bad_server_response).
        Assert.Equal(502, status);
        Assert.Contains(code, new[] { ErrorCodes.BadServerResponse, ErrorCodes.ServerUnreachable });
    }
}
