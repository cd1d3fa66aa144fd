using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server;

/// <summary>
/// Aborts the multipart uploads under <c>images/</c> that no request can still be writing. A request
/// aborts its own upload when it fails, but a server that crashes or is killed mid-upload leaves it
/// open, and S3 keeps (and bills) its parts. Runs at start, then every <see cref="StaleAfter"/>.
/// Several servers share the bucket, so an upload is aborted only once it is older than the longest
/// request can take, on any server.
/// </summary>
public sealed class UploadSweeper(IAmazonS3 s3, IOptions<IngestOptions> options, TimeProvider time, ILogger<UploadSweeper> logger)
    : BackgroundService
{
    /// <summary>Clock skew allowed between servers and S3, which stamps an upload's start.</summary>
    static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The age past which an upload is abandoned: an upload begins after its request started its
    /// download, and ends (completed or aborted) within the download deadline plus the S3 calls after
    /// it, each bounded by INGEST_S3_TIMEOUT_SECONDS: the part in flight when the download ends,
    /// CompleteMultipartUpload (or the abort after a failure) and the idempotency record's write.
    /// </summary>
    public static TimeSpan StaleAfter(IngestOptions options) => options.DownloadTimeout + 3 * options.S3Timeout + ClockSkew;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = StaleAfter(options.Value);
        using var timer = new PeriodicTimer(period, time);
        try
        {
            do
            {
                await SweepAsync(period, stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The server stops.
        }
    }

    /// <summary>One pass over the open uploads, bounded by the period (the next pass starts then).</summary>
    async Task SweepAsync(TimeSpan period, CancellationToken stoppingToken)
    {
        var bucket = options.Value.Bucket;
        var staleBefore = time.GetUtcNow() - period;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(period);
        var (open, aborted) = (0, 0);
        try
        {
            var request = new ListMultipartUploadsRequest { BucketName = bucket, Prefix = ImageIngest.KeyPrefix };
            do
            {
                var page = await s3.ListMultipartUploadsAsync(request, deadline.Token);
                foreach (var upload in page.MultipartUploads ?? [])
                {
                    open++;
                    if (Began(upload) < staleBefore && await AbortAsync(bucket, upload, deadline.Token))
                    {
                        aborted++;
                    }
                }
                request.KeyMarker = page.NextKeyMarker;
                request.UploadIdMarker = page.NextUploadIdMarker;
                if (page.IsTruncated != true)
                {
                    break;
                }
            }
            while (true);
            Log.UploadsSwept(logger, bucket, ImageIngest.KeyPrefix, open, aborted, (long)period.TotalSeconds);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // Never fatal: the next pass tries again (and on AWS the bucket's lifecycle rule is the backstop).
            Log.UploadSweepFailed(logger, bucket, ImageIngest.KeyPrefix, aborted, e.Message);
        }
    }

    /// <summary>False when the upload was gone already (another server's sweep, or its request ended).</summary>
    async Task<bool> AbortAsync(string bucket, MultipartUpload upload, CancellationToken cancellationToken)
    {
        try
        {
            await s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
            {
                BucketName = bucket,
                Key = upload.Key,
                UploadId = upload.UploadId,
            }, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchUpload")
        {
            return false;
        }
    }

    /// <summary>
    /// When the upload began: the later of S3's Initiated and the time in the key's UUIDv7 image id
    /// (set by the server that began it, just before). Either alone would do on AWS; moto answers a
    /// fixed Initiated in 2010, which would make every upload, even one in progress, look abandoned.
    /// </summary>
    public static DateTimeOffset Began(MultipartUpload upload)
    {
        var initiated = upload.Initiated is { } at ? new DateTimeOffset(at.ToUniversalTime()) : DateTimeOffset.MinValue;
        var created = ImageIdTime(upload.Key);
        return created > initiated ? created.Value : initiated;
    }

    /// <summary>The creation time in <c>images/{UUIDv7}.{ext}</c>: its first 48 bits are Unix milliseconds.</summary>
    public static DateTimeOffset? ImageIdTime(string key)
    {
        if (!Guid.TryParse(Path.GetFileNameWithoutExtension(key), out var id) || id.Version != 7)
        {
            return null;
        }
        var bytes = id.ToByteArray(bigEndian: true);
        var milliseconds = 0L;
        for (var i = 0; i < 6; i++)
        {
            milliseconds = (milliseconds << 8) | bytes[i];
        }
        return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
    }
}

static partial class Log
{
    [LoggerMessage(EventId = 20, Level = LogLevel.Information,
        Message = "Swept multipart uploads under s3://{Bucket}/{Prefix}: {Open} open, {Aborted} aborted (older than {StaleAfterSeconds} s)")]
    public static partial void UploadsSwept(ILogger logger, string bucket, string prefix, int open, int aborted, long staleAfterSeconds);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning,
        Message = "Sweeping multipart uploads under s3://{Bucket}/{Prefix} failed after {Aborted} aborted; next pass later: {Error}")]
    public static partial void UploadSweepFailed(ILogger logger, string bucket, string prefix, int aborted, string error);
}
