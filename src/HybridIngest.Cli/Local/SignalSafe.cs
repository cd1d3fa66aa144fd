namespace HybridIngest.Cli.Local;

/// <summary>
/// Ctrl+C and SIGTERM cancel the command's token on the runtime's signal-handling thread, and a
/// continuation that runs there inline can stall the process: seen here as a lambda-host that
/// never stopped on SIGTERM while awaiting <c>Task.Delay(Infinite, token)</c>. These move the
/// work that cancellation starts onto the thread pool.
/// </summary>
public static class SignalSafe
{
    /// <summary>Completes (never inline) once <paramref name="cancellationToken"/> is cancelled.</summary>
    public static async Task WhenCancelled(CancellationToken cancellationToken)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (cancellationToken.Register(() => cancelled.TrySetResult()))
        {
            await cancelled.Task;
        }
    }

    /// <summary>A token cancelled, from the thread pool, when <paramref name="cancellationToken"/> is.</summary>
    public static CancellationTokenSource Relay(CancellationToken cancellationToken)
    {
        var relay = new CancellationTokenSource();
        cancellationToken.Register(() => ThreadPool.QueueUserWorkItem(_ => Cancel(relay)));
        return relay;
    }

    static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The work it was for has finished.
        }
    }
}
