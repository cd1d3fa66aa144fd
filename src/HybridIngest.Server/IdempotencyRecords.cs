using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using HybridIngest.Contracts;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server;

/// <summary>
/// One caller-given <c>request_id</c>, one stored image and one answer, across every server sharing
/// the bucket: the state is an S3 object per request id, <c>requests/{sha256(request_id)}</c>,
/// claimed with a conditional write (<c>If-None-Match: *</c>: only one writer can create it).
/// <list type="bullet">
/// <item>Empty, it is a claim: a request with that id is running. A duplicate waits for its answer
/// (up to INGEST_DUPLICATE_WAIT_SECONDS), then gets 409 <c>request_in_progress</c>.</item>
/// <item>Holding JSON, it is the answer of the request that stored the image, replayed as is.</item>
/// <item>A request that fails deletes its claim, so a retry runs again; a claim older than the
/// longest request (its server crashed) is taken over with <c>If-Match</c> on its ETag.</item>
/// </list>
/// Its metadata holds the SHA-256 of the image URL: the same id with another URL is 409
/// <c>request_id_reused</c>. The bucket's lifecycle rule deletes records after the window (1 day).
/// </summary>
public sealed class IdempotencyRecords(IAmazonS3 s3, ImageStore store, IOptions<IngestOptions> options, TimeProvider time,
    ILogger<IdempotencyRecords> logger)
{
    public const string KeyPrefix = "requests/";
    const string UrlHashMetadata = "image-url-sha256";

    // Writing the answer or deleting a claim also happens after the caller has gone, so with its own deadline.
    static readonly TimeSpan RecordDeadline = TimeSpan.FromSeconds(10);

    readonly string _bucket = options.Value.Bucket;

    public static string Key(string requestId) =>
        KeyPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(requestId)));

    /// <summary>
    /// Runs <paramref name="ingest"/> unless a request with <paramref name="requestId"/> already
    /// stored an image, whose answer is returned instead (<c>Replayed</c>).
    /// </summary>
    public async Task<(ProcessImageResponse Response, bool Replayed)> RunOnceAsync(string requestId, Uri imageUrl,
        Func<Task<ProcessImageResponse>> ingest, CancellationToken requestAborted)
    {
        var key = Key(requestId);
        var urlHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(imageUrl.AbsoluteUri)));
        var waitUntil = time.GetUtcNow() + options.Value.DuplicateWait;
        var pause = TimeSpan.FromMilliseconds(50);
        var waiting = false;
        while (true)
        {
            if (await TryWriteAsync(key, urlHash, [], ifMatch: null, requestAborted))
            {
                return (await RunAndRecordAsync(key, urlHash, ingest), false);
            }
            using var record = await ReadAsync(key, requestAborted);
            if (record is null)
            {
                continue; // its request failed and let go of it between our two calls: claim it again
            }
            if (record.Metadata[UrlHashMetadata] != urlHash)
            {
                throw new IngestException(ErrorCodes.RequestIdReused,
                    $"request_id '{requestId}' was already used for another image_url; use a new request_id for a new image");
            }
            if (record.ContentLength > 0)
            {
                return (await JsonSerializer.DeserializeAsync(record.ResponseStream,
                    HybridIngestJsonContext.Default.ProcessImageResponse, requestAborted)
                    ?? throw new InvalidDataException($"s3://{_bucket}/{key} holds JSON null"), true);
            }
            if (record.LastModified is { } claimed
                && time.GetUtcNow() - new DateTimeOffset(claimed.ToUniversalTime()) > UploadSweeper.StaleAfter(options.Value)
                && await TryWriteAsync(key, urlHash, [], record.ETag, requestAborted))
            {
                return (await RunAndRecordAsync(key, urlHash, ingest), false);
            }
            if (time.GetUtcNow() >= waitUntil)
            {
                throw new IngestException(ErrorCodes.RequestInProgress,
                    $"a request with request_id '{requestId}' is still in progress; retry with the same request_id to get its answer");
            }
            if (!waiting)
            {
                waiting = true;
                Log.DuplicateWaits(logger, requestId, options.Value.DuplicateWaitSeconds);
            }
            await Task.Delay(pause, time, requestAborted);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
        }
    }

    /// <summary>
    /// Runs the claimed request and records its answer, also when the caller has gone (a retry will
    /// want it). A failure lets go of the claim. A stored image whose answer cannot be recorded is
    /// deleted and the request fails, so that no image exists that no answer names.
    /// </summary>
    async Task<ProcessImageResponse> RunAndRecordAsync(string key, string urlHash, Func<Task<ProcessImageResponse>> ingest)
    {
        ProcessImageResponse response;
        try
        {
            response = await ingest();
        }
        catch
        {
            await DeleteQuietlyAsync(key);
            throw;
        }
        using var deadline = new CancellationTokenSource(RecordDeadline);
        try
        {
            var answer = JsonSerializer.SerializeToUtf8Bytes(response, HybridIngestJsonContext.Default.ProcessImageResponse);
            await TryWriteAsync(key, urlHash, answer, ifMatch: null, deadline.Token);
            return response;
        }
        catch (Exception e)
        {
            await store.DeleteQuietlyAsync(response.Key);
            await DeleteQuietlyAsync(key);
            throw new IngestException(ErrorCodes.StorageFailed,
                $"could not record the answer for this request_id in bucket '{_bucket}'; the image was not kept", inner: e);
        }
    }

    /// <summary>
    /// Writes the record: with <paramref name="ifMatch"/> null and an empty body, only if it does not
    /// exist (a claim); with an ETag, only if it is still that version (a takeover); with an answer,
    /// over our own claim. False when the condition failed (another request holds the id).
    /// </summary>
    async Task<bool> TryWriteAsync(string key, string urlHash, byte[] body, string? ifMatch, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream(body, writable: false);
        var put = new PutObjectRequest
        {
            BucketName = _bucket,
            Key = key,
            InputStream = content,
            ContentType = body.Length > 0 ? "application/json" : "application/octet-stream",
            IfNoneMatch = body.Length == 0 && ifMatch is null ? "*" : null,
            IfMatch = ifMatch,
            Metadata = { [UrlHashMetadata] = urlHash },
        };
        try
        {
            await s3.PutObjectAsync(put, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
        {
            return false; // 412: the condition failed; 409: a concurrent conditional write to the key won
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw RecordFailed(e);
        }
    }

    IngestException RecordFailed(Exception e) => new(ErrorCodes.StorageFailed,
        $"could not read or write this request_id's record in bucket '{_bucket}'", inner: e);

    async Task<GetObjectResponse?> ReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await s3.GetObjectAsync(_bucket, key, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw RecordFailed(e);
        }
    }

    async Task DeleteQuietlyAsync(string key)
    {
        using var deadline = new CancellationTokenSource(RecordDeadline);
        try
        {
            await s3.DeleteObjectAsync(_bucket, key, deadline.Token);
        }
        catch (Exception e)
        {
            // The claim stays until it is older than the longest request; then a retry takes it over.
            Log.CleanUpFailed(logger, "DeleteObject", _bucket, key, e.Message);
        }
    }
}

static partial class Log
{
    [LoggerMessage(EventId = 22, Level = LogLevel.Debug,
        Message = "process-image {RequestId}: a request with this id is in progress; waiting up to {WaitSeconds} s for its answer")]
    public static partial void DuplicateWaits(ILogger logger, string requestId, double waitSeconds);
}
