namespace HybridIngest.LocalLambda;

/// <summary>
/// The function's execution environments, as Lambda scales them: an invocation takes an idle
/// (warm) environment or starts a new one, up to <see cref="LocalLambdaOptions.MaxConcurrency"/>;
/// beyond that it is refused. An environment that failed is shut down; an idle one is shut down
/// after <see cref="LocalLambdaOptions.IdleTimeout"/>.
/// </summary>
sealed class EnvironmentPool(LocalLambdaOptions options) : IAsyncDisposable
{
    readonly Lock _gate = new();
    readonly Dictionary<string, ExecutionEnvironment> _all = [];
    readonly Stack<ExecutionEnvironment> _idle = new();
    readonly CancellationTokenSource _stopping = new();
    string? _runtimeApi;
    Task? _reaper;
    bool _disposed;

    /// <summary>The process ids of the environments alive now.</summary>
    public IReadOnlyList<int> ProcessIds
    {
        get
        {
            lock (_gate)
            {
                return [.. _all.Values.Select(e => e.ProcessId)];
            }
        }
    }

    /// <summary>Starts reaping; new environments get their Runtime API at <paramref name="runtimeApi"/> (host:port).</summary>
    public void Start(string runtimeApi)
    {
        _runtimeApi = runtimeApi;
        _reaper = ReapIdleAsync(_stopping.Token);
    }

    public ExecutionEnvironment? Find(string id)
    {
        lock (_gate)
        {
            return _all.GetValueOrDefault(id);
        }
    }

    /// <summary>Runs the invocation in an environment; null when all <see cref="LocalLambdaOptions.MaxConcurrency"/> are busy.</summary>
    public async Task<InvocationResult?> InvokeAsync(Invocation invocation)
    {
        var environment = Acquire();
        if (environment is null)
        {
            return null;
        }
        var result = await environment.InvokeAsync(invocation);
        if (!result.EnvironmentUsable || !Release(environment))
        {
            await RetireAsync(environment);
        }
        return result;
    }

    ExecutionEnvironment? Acquire()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            while (_idle.TryPop(out var warm))
            {
                if (!warm.HasExited)
                {
                    return warm;
                }
                _all.Remove(warm.Id);
                _ = warm.DisposeAsync().AsTask();
            }
            if (_all.Count >= options.MaxConcurrency)
            {
                return null;
            }
            var cold = ExecutionEnvironment.Start(options, _runtimeApi ?? throw new InvalidOperationException("The pool is not started."));
            _all.Add(cold.Id, cold);
            return cold;
        }
    }

    bool Release(ExecutionEnvironment environment)
    {
        lock (_gate)
        {
            if (_disposed || environment.HasExited)
            {
                return false;
            }
            environment.IdleSince = DateTimeOffset.UtcNow;
            _idle.Push(environment);
            return true;
        }
    }

    async Task RetireAsync(ExecutionEnvironment environment)
    {
        lock (_gate)
        {
            _all.Remove(environment.Id);
        }
        await environment.DisposeAsync();
    }

    async Task ReapIdleAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.IdleTimeout / 2);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                List<ExecutionEnvironment> expired;
                lock (_gate)
                {
                    var cutoff = DateTimeOffset.UtcNow - options.IdleTimeout;
                    expired = [.. _idle.Where(e => e.IdleSince <= cutoff || e.HasExited)];
                    var kept = _idle.Where(e => !expired.Contains(e)).Reverse().ToList();
                    _idle.Clear();
                    kept.ForEach(_idle.Push);
                    expired.ForEach(e => _all.Remove(e.Id));
                }
                foreach (var environment in expired)
                {
                    await environment.DisposeAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    /// <summary>Shuts down every environment, busy or idle: nothing the pool started outlives it.</summary>
    public async ValueTask DisposeAsync()
    {
        List<ExecutionEnvironment> all;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            all = [.. _all.Values];
            _all.Clear();
            _idle.Clear();
        }
        await _stopping.CancelAsync();
        if (_reaper is not null)
        {
            await _reaper;
        }
        await Task.WhenAll(all.Select(e => e.DisposeAsync().AsTask()));
        _stopping.Dispose();
    }
}
