using System.Threading.RateLimiting;
using HybridIngest.Contracts;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server;

/// <summary>
/// Who may work on an ingest request (<c>/process-image</c>, <c>/test-process</c>). A request takes
/// one of INGEST_MAX_CONCURRENT_REQUESTS slots only once its body is in, so slots count work, not
/// clients sending slowly; when all are busy it waits in a short queue (INGEST_MAX_QUEUED_REQUESTS,
/// oldest first, at most INGEST_QUEUE_TIMEOUT_SECONDS each) before it is refused 503 <c>overloaded</c>.
/// On SIGTERM it drains: new requests are refused at once for INGEST_DRAIN_SECONDS while those
/// already working finish; then <see cref="Stopping"/> cuts whatever still runs, and the server stops.
/// Refusals are logged as a <see cref="RepeatedEvent"/>, never one line each.
/// </summary>
public sealed class Admission : IHostedLifecycleService, IDisposable
{
    /// <summary>A saturated server is usually free again within a second: clients are told to come back then.</summary>
    public const string RetryAfterSeconds = "1";

    /// <summary>
    /// After the drain period, for the requests it cut to answer and clean up (a clean-up's S3 call has
    /// its own 10 s deadline) before the host gives up on them; systemd's TimeoutStopSec allows more.
    /// </summary>
    public static readonly TimeSpan StopMargin = TimeSpan.FromSeconds(15);

    readonly IOptions<IngestOptions> _settings;
    readonly Lazy<ConcurrencyLimiter> _slots;
    readonly CancellationTokenSource _stopping = new();
    readonly RepeatedEvent _refusals;
    readonly ILogger<Admission> _logger;
    readonly IngestMetrics _metrics;
    long _refused;
    volatile bool _draining;

    public Admission(IOptions<IngestOptions> options, ILogger<Admission> logger, TimeProvider time, IngestMetrics metrics)
    {
        // The settings are read on first use: the host creates this (a hosted service) before it
        // validates them, and a bad one is to be reported by that validation, not by a stack trace here.
        _settings = options;
        _logger = logger;
        _slots = new Lazy<ConcurrencyLimiter>(() => new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = Settings.MaxConcurrentRequests,
            QueueLimit = Settings.MaxQueuedRequests,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        }));
        _metrics = metrics;
        _refusals = new RepeatedEvent(time, (count, interval) =>
        {
            Log.RefusedAgain(logger, count, interval.TotalSeconds);
            metrics.RefusalsLogged(count);
        });
        metrics.Meter.CreateObservableUpDownCounter("hybrid_ingest.in_flight", () => Status().InProgress, "{request}",
            "Ingest requests holding a slot");
    }

    IngestOptions Settings => _settings.Value;

    /// <summary>Cancelled when the drain period is over: requests still working are cut (and answered 503).</summary>
    public CancellationToken Stopping => _stopping.Token;

    public bool Draining => _draining;

    /// <summary>
    /// Waits for a slot; the lease is the slot, to dispose when the work is done. Throws an
    /// <see cref="IngestException"/> <c>overloaded</c> when the queue is full, the wait is too long
    /// or the server drains.
    /// </summary>
    public async Task<RateLimitLease> EnterAsync(CancellationToken requestAborted)
    {
        if (_draining)
        {
            throw Refuse("the server is shutting down");
        }
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        wait.CancelAfter(Settings.QueueTimeout);
        RateLimitLease lease;
        try
        {
            lease = await _slots.Value.AcquireAsync(1, wait.Token);
        }
        catch (OperationCanceledException) when (!requestAborted.IsCancellationRequested)
        {
            throw Refuse($"no request slot freed within {Settings.QueueTimeoutSeconds} s");
        }
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw Refuse("the queue is full");
        }
        return lease;
    }

    public AdmissionStatus Status()
    {
        var statistics = _slots.Value.GetStatistics();
        return new AdmissionStatus(Settings.MaxConcurrentRequests - (int)(statistics?.CurrentAvailablePermits ?? 0),
            Settings.MaxConcurrentRequests, (int)(statistics?.CurrentQueuedCount ?? 0), Settings.MaxQueuedRequests,
            Interlocked.Read(ref _refused), _draining);
    }

    IngestException Refuse(string reason)
    {
        Interlocked.Increment(ref _refused);
        _metrics.Refused();
        var status = Status();
        if (_refusals.Occur())
        {
            Log.Refused(_logger, reason, status.InProgress, status.Queued);
            _metrics.RefusalsLogged(1);
        }
        return new IngestException(ErrorCodes.Overloaded,
            $"{reason} ({status.InProgress} requests in progress, {status.Queued} waiting); retry after {RetryAfterSeconds} s");
    }

    /// <summary>Runs on SIGTERM before the server stops listening: the drain period.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        Log.Draining(_logger, Settings.DrainSeconds);
        try
        {
            await Task.Delay(Settings.Drain, cancellationToken);
        }
        finally
        {
            await _stopping.CancelAsync();
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        if (_slots.IsValueCreated)
        {
            _slots.Value.Dispose();
        }
        _refusals.Dispose(); // _stopping is not disposed: a drain may still be ending when the host disposes this
    }
}
