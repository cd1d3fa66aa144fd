using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace HybridIngest.Server.Tests.Infrastructure;

public sealed record LogLine(string Category, LogLevel Level, int EventId, IReadOnlyDictionary<string, object?> State);

/// <summary>
/// Collects the server's own structured log lines (categories HybridIngest.Server.*), for tests that
/// check them or wait for one: the request's line is written after its clean-up is done.
/// </summary>
public sealed class CollectingLoggerProvider : ILoggerProvider
{
    readonly ConcurrentQueue<LogLine> _lines = new();
    readonly List<Waiter> _waiters = [];

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    /// <summary>Completes with the <paramref name="count"/>th line (already written or to come) that matches.</summary>
    public Task<LogLine> WaitForAsync(Func<LogLine, bool> match, int count = 1)
    {
        lock (_waiters)
        {
            var seen = _lines.Where(match).Take(count).ToList();
            if (seen.Count == count)
            {
                return Task.FromResult(seen[^1]);
            }
            var waiter = new Waiter(match, count - seen.Count);
            _waiters.Add(waiter);
            return waiter.Seen.Task;
        }
    }

    public ILogger CreateLogger(string categoryName) => new Collector(categoryName, this);

    public void Dispose() { }

    void Add(LogLine line)
    {
        lock (_waiters)
        {
            _lines.Enqueue(line);
            // A waiter that has seen its count is done: it leaves the list, and later lines no longer reach its match.
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                if (--waiter.Remaining == 0)
                {
                    waiter.Seen.TrySetResult(line);
                    _waiters.Remove(waiter);
                }
            }
        }
    }

    sealed class Waiter(Func<LogLine, bool> match, int remaining)
    {
        public Func<LogLine, bool> Match { get; } = match;
        public int Remaining { get; set; } = remaining;
        public TaskCompletionSource<LogLine> Seen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    sealed class Collector(string category, CollectingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (category.StartsWith("HybridIngest.Server", StringComparison.Ordinal) && state is IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                provider.Add(new LogLine(category, logLevel, eventId.Id, fields.ToDictionary(f => f.Key, f => f.Value)));
            }
        }
    }
}
