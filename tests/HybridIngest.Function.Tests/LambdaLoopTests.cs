using System.Net;
using System.Text;
using HybridIngest.Contracts;

namespace HybridIngest.Function.Tests;

public sealed class LambdaLoopTests
{
    static Invocation Event(string requestId, string payload = "{}", string? traceId = null) =>
        new(requestId, DateTimeOffset.UtcNow.AddMinutes(1), traceId, "arn:aws:lambda:us-east-1:000000000000:function:f", Encoding.UTF8.GetBytes(payload));

    [Fact]
    public async Task PostsEachHandlerResultAsTheResponseOfItsRequest()
    {
        var api = new FakeRuntimeApi();
        api.Enqueue(Event("r1", "1"));
        api.Enqueue(Event("r2", "2"));

        var exitCode = await LambdaLoop.RunAsync(api, (invocation, _) => Task.FromResult(invocation.Payload.Concat("!"u8.ToArray()).ToArray()), CancellationToken.None);

        Assert.Equal(1, exitCode);
        Assert.Equal(["r1", "r2"], api.Responses.Select(r => r.RequestId));
        Assert.Equal(["1!", "2!"], api.Responses.Select(r => Encoding.UTF8.GetString(r.Payload)));
        Assert.Empty(api.Errors);
    }

    [Fact]
    public async Task ExitsAtOnceWhenTheRuntimeApiAnswers500()
    {
        var api = new FakeRuntimeApi();

        var exitCode = await LambdaLoop.RunAsync(api, (_, _) => throw new InvalidOperationException("not called"), CancellationToken.None);

        Assert.Equal(1, exitCode);
        Assert.Equal(1, api.NextCalls);
    }

    [Fact]
    public async Task PostsAnErrorAndGoesOnWhenTheHandlerThrows()
    {
        var api = new FakeRuntimeApi();
        api.Enqueue(Event("r1"));
        api.Enqueue(Event("r2"));

        await LambdaLoop.RunAsync(api, (invocation, _) => invocation.RequestId == "r1"
            ? throw new InvalidOperationException("boom")
            : Task.FromResult("{}"u8.ToArray()), CancellationToken.None);

        var (requestId, error) = Assert.Single(api.Errors);
        Assert.Equal("r1", requestId);
        Assert.Equal("boom", error.ErrorMessage);
        Assert.Equal(typeof(InvalidOperationException).FullName, error.ErrorType);
        Assert.NotEmpty(error.StackTrace!);
        Assert.Equal("r2", Assert.Single(api.Responses).RequestId);
    }

    [Fact]
    public async Task GoesOnWhenTheRuntimeApiRejectsOneResponse()
    {
        var api = new FakeRuntimeApi { ResponseStatus = HttpStatusCode.RequestEntityTooLarge };
        api.Enqueue(Event("r1"));
        api.Enqueue(Event("r2"));

        await LambdaLoop.RunAsync(api, (_, _) => Task.FromResult("{}"u8.ToArray()), CancellationToken.None);

        Assert.Equal(3, api.NextCalls);
    }

    [Fact]
    public async Task SetsTheTraceIdEnvironmentVariableForEachInvocation()
    {
        var api = new FakeRuntimeApi();
        api.Enqueue(Event("r1", traceId: "Root=1-5759e988-bd862e3fe1be46a994272793"));
        string? seen = null;

        await LambdaLoop.RunAsync(api, (_, _) =>
        {
            seen = Environment.GetEnvironmentVariable(LambdaEnvironmentVariables.TraceId);
            return Task.FromResult("{}"u8.ToArray());
        }, CancellationToken.None);

        Assert.Equal("Root=1-5759e988-bd862e3fe1be46a994272793", seen);
    }
}
