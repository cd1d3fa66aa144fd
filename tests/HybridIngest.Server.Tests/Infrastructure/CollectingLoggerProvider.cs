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
    readonly List<(Func<LogLine, bool> Match, TaskCompletionSource<LogLine> Seen)> _waiters = [];

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    /// <summary>Completes with the first line (already written or to come) that matches.</summary>
    public Task<LogLine> WaitForAsync(Func<LogLine, bool> match)
    {
        lock (_waiters)
        {
            if (_lines.FirstOrDefault(match) is { } seen)
            {
                return Task.FromResult(seen);
            }
            var waiter = new TaskCompletionSource<LogLine>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, waiter));
            return waiter.Task;
        }
    }

    public ILogger CreateLogger(string categoryName) => new Collector(categoryName, this);

    public void Dispose() { }

    void Add(LogLine line)
    {
        lock (_waiters)
        {
            _lines.Enqueue(line);
            foreach (var (match, seen) in _waiters.Where(w => w.Match(line)))
            {
                seen.TrySetResult(line);
            }
        }
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
