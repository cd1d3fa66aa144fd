using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using CliWrap;
using HybridIngest.Contracts;

namespace HybridIngest.LocalLambda;

/// <summary>
/// One execution environment: one bootstrap process, serving one invocation at a time through the
/// Runtime API under <c>/{Id}/</c>. It reports START/END/REPORT lines as Lambda does and ends its
/// whole process tree when it is disposed.
/// </summary>
sealed class ExecutionEnvironment : IAsyncDisposable
{
    /// <summary>Lambda's limit for the init phase (process start to the first <c>next</c>).</summary>
    static readonly TimeSpan InitTimeout = TimeSpan.FromSeconds(10);

    readonly LocalLambdaOptions _options;
    readonly CancellationTokenSource _kill = new();
    CommandTask<CommandResult> _run = null!;
    readonly long _started = Stopwatch.GetTimestamp();
    readonly Channel<Invocation> _events = Channel.CreateUnbounded<Invocation>();
    readonly TaskCompletionSource<TimeSpan> _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly TaskCompletionSource<byte[]> _initError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Written only by InvokeAsync (the pool gives an environment one invocation at a time), read by
    // Runtime API requests and output readers, hence Volatile. How an invocation ends is owned by its
    // Result: the runtime's answer, the exit and the timeout each TrySetResult; the first one wins.
    Invocation? _current;
    long _peakMemoryBytes;
    bool _served;
    int _disposed;

    ExecutionEnvironment(string id, LocalLambdaOptions options)
    {
        Id = id;
        _options = options;
    }

    public string Id { get; }

    public int ProcessId => _run.ProcessId;

    public bool HasExited => _exited.Task.IsCompleted;

    public DateTimeOffset IdleSince { get; set; }

    /// <summary>Starts the bootstrap with Lambda's environment, its Runtime API at <paramref name="runtimeApi"/>/{id}.</summary>
    public static ExecutionEnvironment Start(LocalLambdaOptions options, string runtimeApi)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var taskRoot = Path.GetDirectoryName(Path.GetFullPath(options.BootstrapPath))!;
        // Only what Lambda would give: the host's own variables are removed (a null value), then Lambda's set.
        var variables = Environment.GetEnvironmentVariables().Keys.Cast<string>().ToDictionary(name => name, string? (_) => null);
        foreach (var (name, value) in options.Environment.Concat(LambdaVariables(options, $"{runtimeApi}/{id}", taskRoot)))
        {
            variables[name] = value;
        }

        var environment = new ExecutionEnvironment(id, options);
        var output = PipeTarget.ToDelegate(environment.Write);
        environment._run = Cli.Wrap(Path.GetFullPath(options.BootstrapPath))
            .WithWorkingDirectory(taskRoot)
            .WithEnvironmentVariables(variables)
            .WithStandardOutputPipe(output)
            .WithStandardErrorPipe(output)
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(environment._kill.Token);
        _ = environment._run.Task.ContinueWith(
            run => environment._exited.TrySetResult(run.IsCompletedSuccessfully ? run.Result.ExitCode : -1), TaskScheduler.Default);
        return environment;
    }

    static IEnumerable<KeyValuePair<string, string>> LambdaVariables(LocalLambdaOptions options, string runtimeApi, string taskRoot) =>
        new Dictionary<string, string>
        {
            [LambdaEnvironmentVariables.RuntimeApi] = runtimeApi,
            [LambdaEnvironmentVariables.FunctionName] = options.FunctionName,
            [LambdaEnvironmentVariables.FunctionMemorySize] = options.MemoryMb.ToString(CultureInfo.InvariantCulture),
            [LambdaEnvironmentVariables.FunctionVersion] = LocalLambdaHost.Version,
            [LambdaEnvironmentVariables.Region] = options.Region,
            ["AWS_DEFAULT_REGION"] = options.Region,
            [LambdaEnvironmentVariables.Handler] = Path.GetFileName(options.BootstrapPath),
            [LambdaEnvironmentVariables.TaskRoot] = taskRoot,
            ["LAMBDA_RUNTIME_DIR"] = taskRoot,
            ["AWS_LAMBDA_LOG_GROUP_NAME"] = $"/aws/lambda/{options.FunctionName}",
            ["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand",
            ["PATH"] = "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
            ["LANG"] = "en_US.UTF-8",
            ["TZ"] = ":UTC",
        };

    /// <summary>
    /// Runs one invocation to its end. A cold environment first waits for its init (the first
    /// <c>next</c>). The function's timeout starts when the event is handed over.
    /// </summary>
    public async Task<InvocationResult> InvokeAsync(Invocation invocation)
    {
        Volatile.Write(ref _current, invocation);
        var cold = !_served;
        _served = true;
        if (cold)
        {
            var initEnded = await FirstOrTimeoutAsync(InitTimeout, _initialized.Task, _initError.Task, _exited.Task);
            if (initEnded != _initialized.Task)
            {
                return Finish(invocation, cold, InitFailure(invocation, initEnded), TimeSpan.Zero);
            }
        }

        Write($"START RequestId: {invocation.RequestId} Version: {LocalLambdaHost.Version}");
        var started = Stopwatch.GetTimestamp();
        var timeout = TimeSpan.FromSeconds(_options.TimeoutSeconds);
        invocation.Deadline = DateTimeOffset.UtcNow + timeout;
        _events.Writer.TryWrite(invocation);
        var ended = await FirstOrTimeoutAsync(timeout, invocation.Result.Task, _exited.Task);
        // Only if the runtime's answer did not come first: it hears 202 exactly for the answer the caller gets.
        if (ended == _exited.Task)
        {
            invocation.Result.TrySetResult(ExitError(invocation));
        }
        else if (ended is null)
        {
            var message = $"Task timed out after {_options.TimeoutSeconds.ToString("0.00", CultureInfo.InvariantCulture)} seconds";
            if (invocation.Result.TrySetResult(InvocationResult.ServiceError("Sandbox.Timedout", $"RequestId: {invocation.RequestId} Error: {message}", "timeout")))
            {
                Write($"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {invocation.RequestId} {message}");
            }
        }
        RecordPeakMemory();
        return Finish(invocation, cold, await invocation.Result.Task, Stopwatch.GetElapsedTime(started));
    }

    InvocationResult ExitError(Invocation invocation) =>
        InvocationResult.ServiceError("Runtime.ExitError",
            $"RequestId: {invocation.RequestId} Error: Runtime exited with error: exit status {_exited.Task.Result}", "error");

    /// <summary>The first of <paramref name="tasks"/> to complete, or null when <paramref name="timeout"/> passes first.</summary>
    static async Task<Task?> FirstOrTimeoutAsync(TimeSpan timeout, params Task[] tasks)
    {
        using var cancel = new CancellationTokenSource();
        var timer = Task.Delay(timeout, cancel.Token);
        var first = await Task.WhenAny([.. tasks, timer]);
        await cancel.CancelAsync();
        return first == timer ? null : first;
    }

    InvocationResult InitFailure(Invocation invocation, Task? initEnded)
    {
        RecordPeakMemory();
        Write($"START RequestId: {invocation.RequestId} Version: {LocalLambdaHost.Version}");
        if (initEnded == _initError.Task)
        {
            return new InvocationResult(_initError.Task.Result, InvocationResult.Unhandled, false, "error");
        }
        return initEnded == _exited.Task
            ? ExitError(invocation)
            : InvocationResult.ServiceError("Sandbox.Timedout",
                $"RequestId: {invocation.RequestId} Error: Init timed out after {InitTimeout.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} seconds", "timeout");
    }

    InvocationResult Finish(Invocation invocation, bool cold, InvocationResult result, TimeSpan duration)
    {
        var initDuration = !cold ? (TimeSpan?)null
            : _initialized.Task.IsCompletedSuccessfully ? _initialized.Task.Result : Stopwatch.GetElapsedTime(_started);
        // A custom runtime's init is billed with its first invocation.
        var report = string.Create(CultureInfo.InvariantCulture,
            $"REPORT RequestId: {invocation.RequestId}\tDuration: {duration.TotalMilliseconds:0.00} ms\tBilled Duration: {Math.Ceiling(duration.TotalMilliseconds + (initDuration?.TotalMilliseconds ?? 0)):0} ms\tMemory Size: {_options.MemoryMb} MB\tMax Memory Used: {Math.Max(1, _peakMemoryBytes / (1024 * 1024))} MB");
        if (initDuration is { } init)
        {
            report += string.Create(CultureInfo.InvariantCulture, $"\tInit Duration: {init.TotalMilliseconds:0.00} ms");
        }
        if (result.Status is { } status)
        {
            report += $"\tStatus: {status}";
        }
        Write($"END RequestId: {invocation.RequestId}");
        Write(report);
        Volatile.Write(ref _current, null);
        return result;
    }

    /// <summary>The runtime's <c>GET next</c>: the first one ends init; each waits for the next event.</summary>
    public async Task<Invocation> NextAsync(CancellationToken cancellationToken)
    {
        _initialized.TrySetResult(Stopwatch.GetElapsedTime(_started));
        return await _events.Reader.ReadAsync(cancellationToken);
    }

    /// <summary>Ends the current invocation with the runtime's answer; false for an unknown request id.</summary>
    public bool Complete(string requestId, InvocationResult result) =>
        Volatile.Read(ref _current) is { } current && current.RequestId == requestId && current.Result.TrySetResult(result);

    public void FailInit(byte[] errorBody) => _initError.TrySetResult(errorBody);

    void RecordPeakMemory()
    {
        try
        {
            using var process = Process.GetProcessById(ProcessId);
            _peakMemoryBytes = Math.Max(_peakMemoryBytes, process.PeakWorkingSet64);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // The process has exited: keep the last reading.
        }
    }

    void Write(string line)
    {
        Volatile.Read(ref _current)?.AppendLog(line);
        _options.Log?.Invoke(line);
    }

    /// <summary>Kills the process tree (Lambda gives a runtime no grace either) and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _events.Writer.TryComplete();
        await _kill.CancelAsync();
        await _exited.Task;
        _kill.Dispose();
    }
}
