using System.Net;
using System.Text;
using System.Text.Json;
using HybridIngest.Contracts;
using Microsoft.AspNetCore.Http;

namespace HybridIngest.Function.Tests;

/// <summary>The Runtime API client's requests and parsing, against a real HTTP stand-in.</summary>
public sealed class RuntimeApiClientTests
{
    static RuntimeApiClient ClientFor(StandInServer server) => RuntimeApiClient.Create(server.BaseUri.Authority);

    [Fact]
    public async Task ReadsTheEventAndItsHeadersFromNext()
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(3);
        await using var server = await StandInServer.StartAsync(context =>
        {
            context.Response.Headers[RuntimeApiHeaders.AwsRequestId] = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";
            context.Response.Headers[RuntimeApiHeaders.DeadlineMs] = deadline.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Response.Headers[RuntimeApiHeaders.TraceId] = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1";
            context.Response.Headers[RuntimeApiHeaders.InvokedFunctionArn] = "arn:aws:lambda:us-east-1:000000000000:function:f";
            return context.Response.WriteAsync("""{"image_url":"https://images.example/a.png"}""");
        });

        var invocation = await ClientFor(server).NextAsync(CancellationToken.None);

        Assert.Equal(("GET", "/2018-06-01/runtime/invocation/next"), (Assert.Single(server.Received).Method, server.Received.Single().Path));
        Assert.Equal("8476a536-e9f4-11e8-9739-2dfe598c3fcd", invocation.RequestId);
        Assert.Equal(deadline.ToUnixTimeMilliseconds(), invocation.Deadline.ToUnixTimeMilliseconds());
        Assert.Equal("Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1", invocation.TraceId);
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:f", invocation.FunctionArn);
        Assert.Equal("""{"image_url":"https://images.example/a.png"}""", Encoding.UTF8.GetString(invocation.Payload));
    }

    [Fact]
    public async Task PostsTheResponseToItsRequestsPath()
    {
        await using var server = await StandInServer.StartAsync(context => Accepted(context));

        await ClientFor(server).SendResponseAsync("req-1", """{"statusCode":200}"""u8.ToArray(), CancellationToken.None);

        var received = Assert.Single(server.Received);
        Assert.Equal(("POST", "/2018-06-01/runtime/invocation/req-1/response"), (received.Method, received.Path));
        Assert.Equal("""{"statusCode":200}""", received.Body);
    }

    [Fact]
    public async Task PostsErrorsAsLambdaErrorJsonWithTheErrorTypeHeader()
    {
        await using var server = await StandInServer.StartAsync(context => Accepted(context));
        var client = ClientFor(server);

        await client.SendErrorAsync("req-1", new LambdaError("boom", "System.InvalidOperationException", ["at X"]), CancellationToken.None);
        await client.SendInitErrorAsync(new LambdaError("SERVER_URL is not set", "Runtime.InvalidConfiguration"), CancellationToken.None);

        var received = server.Received.ToList();
        Assert.Equal(["/2018-06-01/runtime/invocation/req-1/error", "/2018-06-01/runtime/init/error"], received.Select(r => r.Path));
        Assert.All(received, r => Assert.Equal(RuntimeApiHeaders.ErrorContentType, r.ContentType));
        Assert.Equal(["System.InvalidOperationException", "Runtime.InvalidConfiguration"], received.Select(r => r.Header(RuntimeApiHeaders.FunctionErrorType)));
        var error = JsonDocument.Parse(received[0].Body).RootElement;
        Assert.Equal("boom", error.GetProperty("errorMessage").GetString());
        Assert.Equal("at X", error.GetProperty("stackTrace")[0].GetString());
    }

    [Fact]
    public async Task TreatsA500AsFatal()
    {
        await using var server = await StandInServer.StartAsync(context =>
        {
            context.Response.StatusCode = 500;
            return context.Response.WriteAsync("""{"errorMessage":"container error","errorType":"Runtime.Unknown"}""");
        });

        var error = await Assert.ThrowsAsync<RuntimeApiException>(() => ClientFor(server).NextAsync(CancellationToken.None));

        Assert.Equal(HttpStatusCode.InternalServerError, error.Status);
        Assert.True(error.IsFatal);
    }

    static Task Accepted(HttpContext context)
    {
        context.Response.StatusCode = 202;
        return context.Response.WriteAsync("""{"status":"OK"}""");
    }
}
