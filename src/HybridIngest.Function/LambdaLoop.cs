using HybridIngest.Contracts;

namespace HybridIngest.Function;

/// <summary>The custom runtime's loop: next → handle → response | error, until the Runtime API goes away.</summary>
static class LambdaLoop
{
    public const string UnhandledErrorType = "Runtime.UnhandledException";

    /// <summary>Runs until the Runtime API fails; returns the process exit code.</summary>
    /// <param name="afterResponse">Work for after the answer is sent and before the next <c>next</c> (the span's export):
    /// the caller has its answer, and Lambda freezes the environment only once <c>next</c> is called.</param>
    public static async Task<int> RunAsync(
        IRuntimeApi api,
        Func<Invocation, CancellationToken, Task<byte[]>> handler,
        CancellationToken cancellationToken,
        Func<CancellationToken, Task>? afterResponse = null)
    {
        while (true)
        {
            Invocation invocation;
            try
            {
                invocation = await api.NextAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
            catch (Exception e) when (e is HttpRequestException or RuntimeApiException)
            {
                return Exit(e);
            }

            Environment.SetEnvironmentVariable(LambdaEnvironmentVariables.TraceId, invocation.TraceId);
            try
            {
                await HandleAsync(api, handler, invocation, cancellationToken);
                if (afterResponse is not null)
                {
                    await afterResponse(cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
            catch (Exception e) when (e is HttpRequestException or RuntimeApiException { IsFatal: true })
            {
                return Exit(e);
            }
        }
    }

    /// <summary>
    /// The environment is being torn down (500, "container error") or the API is gone: Lambda
    /// expects the runtime to exit at once.
    /// </summary>
    static int Exit(Exception e)
    {
        JsonLog.Error($"Runtime API failed, exiting: {e.Message}", requestId: null);
        return 1;
    }

    static async Task HandleAsync(
        IRuntimeApi api,
        Func<Invocation, CancellationToken, Task<byte[]>> handler,
        Invocation invocation,
        CancellationToken cancellationToken)
    {
        byte[] payload;
        try
        {
            payload = await handler(invocation, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            JsonLog.Error($"Unhandled {e.GetType().Name}: {e.Message}", invocation.RequestId);
            var error = new LambdaError(e.Message, e.GetType().FullName ?? UnhandledErrorType,
                e.StackTrace?.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            await SendAsync(() => api.SendErrorAsync(invocation.RequestId, error, cancellationToken), invocation.RequestId);
            return;
        }
        await SendAsync(() => api.SendResponseAsync(invocation.RequestId, payload, cancellationToken), invocation.RequestId);
    }

    /// <summary>A rejected response (e.g. 413, too large) ends this invocation, not the runtime.</summary>
    static async Task SendAsync(Func<Task> send, string requestId)
    {
        try
        {
            await send();
        }
        catch (RuntimeApiException e) when (!e.IsFatal)
        {
            JsonLog.Error(e.Message, requestId);
        }
    }
}
