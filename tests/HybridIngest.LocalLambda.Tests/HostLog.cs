using System.Collections.Concurrent;

namespace HybridIngest.LocalLambda.Tests;

/// <summary>The host's log sink for a test: keeps every line and signals lines the test waits for.</summary>
sealed class HostLog
{
    readonly ConcurrentQueue<string> _lines = new();
    readonly ConcurrentBag<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];

    public IReadOnlyList<string> Lines => [.. _lines];

    public void Write(string line)
    {
        _lines.Enqueue(line);
        foreach (var (match, seen) in _waiters)
        {
            if (match(line))
            {
                seen.TrySetResult(line);
            }
        }
    }

    /// <summary>Completes with the first line (already written or still to come) that matches.</summary>
    public Task<string> WaitForAsync(Func<string, bool> match)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters.Add((match, seen));
        foreach (var line in _lines)
        {
            if (match(line))
            {
                seen.TrySetResult(line);
            }
        }
        return seen.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }
}
