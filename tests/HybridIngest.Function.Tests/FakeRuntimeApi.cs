using System.Net;
using System.Threading.Channels;
using HybridIngest.Contracts;

namespace HybridIngest.Function.Tests;

/// <summary>
/// The Runtime API seam, driven by the test: hands out queued events, records what the loop posts,
/// and answers the way it is told when the queue runs dry (a 500, as Lambda does on teardown).
/// </summary>
sealed class FakeRuntimeApi : IRuntimeApi
{
    readonly Channel<Invocation> _events = Channel.CreateUnbounded<Invocation>();

    public List<(string RequestId, byte[] Payload)> Responses { get; } = [];

    public List<(string RequestId, LambdaError Error)> Errors { get; } = [];

    public HttpStatusCode ResponseStatus { get; set; } = HttpStatusCode.Accepted;

    public int NextCalls { get; private set; }

    public void Enqueue(Invocation invocation) => _events.Writer.TryWrite(invocation);

    public Task<Invocation> NextAsync(CancellationToken cancellationToken)
    {
        NextCalls++;
        return _events.Reader.TryRead(out var invocation)
            ? Task.FromResult(invocation)
            : throw new RuntimeApiException(HttpStatusCode.InternalServerError, "Runtime API next answered 500: container error");
    }

    public Task SendResponseAsync(string requestId, byte[] payload, CancellationToken cancellationToken)
    {
        Responses.Add((requestId, payload));
        return ResponseStatus == HttpStatusCode.Accepted
            ? Task.CompletedTask
            : throw new RuntimeApiException(ResponseStatus, $"Runtime API response answered {(int)ResponseStatus}");
    }

    public Task SendErrorAsync(string requestId, LambdaError error, CancellationToken cancellationToken)
    {
        Errors.Add((requestId, error));
        return Task.CompletedTask;
    }

    public Task SendInitErrorAsync(LambdaError error, CancellationToken cancellationToken) => throw new NotSupportedException();
}
