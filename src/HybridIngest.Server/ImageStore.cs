// Over 250 lines on purpose: the three ways one image is written (one PutObject, a streamed PutObject, multipart) share the checksum check, the metadata and the clean-up, and are chosen in one place.
using System.Buffers;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using HybridIngest.Contracts;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server;

// One file for the three write paths (buffered, streamed, multipart): they share the clean-up
// after a failure and the check of the checksum S3 answers.

/// <summary>
/// Writes a downloaded image to S3 in one write, checked by S3's own SHA-256, without holding more
/// than 5 MiB of it in memory, and leaves nothing behind when a write fails:
/// <list type="bullet">
/// <item>A body of at most 5 MiB (known length, or unknown and ending there) is read into a pooled
/// buffer and sent as one PutObject with its <c>x-amz-checksum-sha256</c> in a header, hashed once
/// as it arrived.</item>
/// <item>A larger body of known length is streamed into one PutObject; the SDK sends its SHA-256 as
/// an aws-chunked trailer.</item>
/// <item>A larger body of unknown length goes through a multipart upload in 5 MiB parts (the smallest
/// S3 allows, so the most memory one request holds), each part with its SHA-256; S3 stores the
/// composite checksum (the SHA-256 of the parts' SHA-256s, <c>-N</c>), which is checked here too.</item>
/// </list>
/// S3 refuses a body that does not match its checksum, so success means S3 holds exactly the bytes
/// downloaded. The SHA-256 of the whole image, returned to the caller, is the download's own hash.
/// </summary>
public sealed class ImageStore(IAmazonS3 s3, IOptions<IngestOptions> options, ILogger<ImageStore> logger)
{
    /// <summary>The largest body sent as one buffered PutObject, and the multipart part size.</summary>
    public const int PartSize = 5 * 1024 * 1024;

    // A buffer for a body of unknown length starts here, then goes straight to PartSize + 1 bytes:
    // doubling would leave every intermediate size touched (and resident) in the pool.
    const int FirstBufferSize = 256 * 1024;

    // Over HTTPS, TLS protects the request and S3 verifies x-amz-checksum-sha256, so the payload need
    // not be hashed again for the signature; the SDK refuses unsigned payloads over plain HTTP (emulators).
    readonly bool _signPayload = options.Value.ServiceUrl?.StartsWith("http://", StringComparison.OrdinalIgnoreCase) == true;

    public string Bucket { get; } = options.Value.Bucket;

    // An S3 outage fails every clean-up: the first is logged in full, the rest counted.
    readonly RepeatedEvent _cleanUpFailures = new(TimeProvider.System,
        (count, interval) => Log.CleanUpFailedAgain(logger, count, interval.TotalSeconds));

    /// <summary>Stores <paramref name="body"/> at <paramref name="key"/> and returns the SHA-256 (hex) of what was stored.</summary>
    public async Task<string> StoreAsync(string key, ImageFormat format, DownloadStream body, long? length,
        IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        byte[]? buffer = null;
        try
        {
            if (length > PartSize)
            {
                await PutStreamedAsync(key, format, body, length.Value, metadata, cancellationToken);
            }
            else
            {
                (buffer, var filled) = await ReadBufferedAsync(body, length, cancellationToken);
                await (filled <= PartSize
                    ? PutBufferedAsync(key, format, buffer, filled, body.Sha256(), metadata, cancellationToken)
                    : PutMultipartAsync(key, format, body, buffer, filled, metadata, cancellationToken));
            }
            return Convert.ToHexStringLower(body.Sha256());
        }
        catch
        {
            await DeleteQuietlyAsync(key);
            throw;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Stores a small body already in memory (the <c>/test-process</c> image) as one PutObject with its
    /// SHA-256 checksum, like a downloaded one; returns that SHA-256 (hex).
    /// </summary>
    public async Task<string> StoreAsync(string key, ImageFormat format, byte[] body,
        IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var sha256 = SHA256.HashData(body);
        try
        {
            await PutBufferedAsync(key, format, body, body.Length, sha256, metadata, cancellationToken);
        }
        catch
        {
            await DeleteQuietlyAsync(key);
            throw;
        }
        return Convert.ToHexStringLower(sha256);
    }

    /// <summary>Whether the bucket answers (for <c>GET /ready</c>); null when it does, else why not.</summary>
    public async Task<string?> CheckBucketAsync(CancellationToken cancellationToken)
    {
        try
        {
            await s3.HeadBucketAsync(new HeadBucketRequest { BucketName = Bucket }, cancellationToken);
            return null;
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or IOException or OperationCanceledException)
        {
            return $"bucket '{Bucket}' is not reachable: {e.Message}";
        }
    }

    /// <summary>
    /// Reads the body into a pooled buffer until it ends or holds more than <see cref="PartSize"/>
    /// bytes. The buffer is the caller's to return to the pool.
    /// </summary>
    static async Task<(byte[] Buffer, int Filled)> ReadBufferedAsync(DownloadStream body, long? length, CancellationToken cancellationToken)
    {
        const int capacity = PartSize + 1;
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(length ?? FirstBufferSize, 1, capacity));
        var filled = 0;
        try
        {
            while (true)
            {
                var room = Math.Min(buffer.Length, capacity) - filled;
                var read = await body.ReadAtLeastAsync(buffer.AsMemory(filled, room), room, throwOnEndOfStream: false, cancellationToken);
                filled += read;
                if (read < room || body.FinishedAt != 0 || filled == capacity)
                {
                    return (buffer, filled);
                }
                var larger = ArrayPool<byte>.Shared.Rent(capacity);
                buffer.AsSpan(0, filled).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    async Task PutBufferedAsync(string key, ImageFormat format, byte[] buffer, int length, byte[] sha256,
        IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var checksum = S3Checksum.FullObject(sha256);
        using var stream = new MemoryStream(buffer, 0, length, writable: false);
        var put = new PutObjectRequest
        {
            BucketName = Bucket,
            Key = key,
            InputStream = stream,
            AutoCloseStream = false,
            ContentType = format.ContentType,
            ChecksumAlgorithm = ChecksumAlgorithm.SHA256, // with the value below: sent as is, not computed again
            ChecksumSHA256 = checksum,
            UseChunkEncoding = false,
            DisablePayloadSigning = !_signPayload,
            Headers = { ContentLength = length },
        };
        AddMetadata(put.Metadata, metadata);
        var response = await s3.PutObjectAsync(put, cancellationToken);
        Verify(response.ChecksumSHA256, checksum);
    }

    async Task PutStreamedAsync(string key, ImageFormat format, DownloadStream body, long length,
        IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var put = new PutObjectRequest
        {
            BucketName = Bucket,
            Key = key,
            InputStream = body,
            AutoCloseStream = false,
            ContentType = format.ContentType,
            ChecksumAlgorithm = ChecksumAlgorithm.SHA256, // sent as a trailer: known only after the last byte
            Headers = { ContentLength = length },
        };
        AddMetadata(put.Metadata, metadata);
        var response = await s3.PutObjectAsync(put, cancellationToken);
        Verify(response.ChecksumSHA256, S3Checksum.FullObject(body.Sha256()));
    }

    /// <summary>Uploads <paramref name="buffer"/> (more than one part already read) and the rest of the body in parts.</summary>
    async Task PutMultipartAsync(string key, ImageFormat format, DownloadStream body, byte[] buffer, int filled,
        IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var initiate = new InitiateMultipartUploadRequest
        {
            BucketName = Bucket,
            Key = key,
            ContentType = format.ContentType,
            ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
        };
        AddMetadata(initiate.Metadata, metadata);
        var uploadId = (await s3.InitiateMultipartUploadAsync(initiate, cancellationToken)).UploadId;
        try
        {
            var parts = new List<PartETag>();
            var partHashes = new List<byte>(); // each part's SHA-256, for the composite checksum
            for (var number = 1; filled > 0; number++)
            {
                // The buffer holds PartSize + 1 bytes: a full buffer means this part is not the last.
                var size = Math.Min(filled, PartSize);
                var sha256 = SHA256.HashData(buffer.AsSpan(0, size));
                partHashes.AddRange(sha256);
                using var content = new MemoryStream(buffer, 0, size, writable: false);
                var part = await s3.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = Bucket,
                    Key = key,
                    UploadId = uploadId,
                    PartNumber = number,
                    InputStream = content,
                    PartSize = size,
                    ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
                    ChecksumSHA256 = Convert.ToBase64String(sha256),
                    UseChunkEncoding = false,
                    DisablePayloadSigning = !_signPayload,
                }, cancellationToken);
                parts.Add(new PartETag { PartNumber = number, ETag = part.ETag, ChecksumSHA256 = part.ChecksumSHA256 });

                filled -= size;
                buffer.AsSpan(size, filled).CopyTo(buffer);
                var room = PartSize + 1 - filled;
                filled += await body.ReadAtLeastAsync(buffer.AsMemory(filled, room), room, throwOnEndOfStream: false, cancellationToken);
            }
            var completed = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = Bucket,
                Key = key,
                UploadId = uploadId,
                PartETags = parts,
            }, cancellationToken);
            Verify(completed.ChecksumSHA256, S3Checksum.Composite([.. partHashes]));
        }
        catch
        {
            await CleanUpQuietlyAsync("AbortMultipartUpload", key, token =>
                s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Bucket, Key = key, UploadId = uploadId }, token));
            throw;
        }
    }

    static void AddMetadata(MetadataCollection target, IReadOnlyDictionary<string, string> metadata)
    {
        foreach (var (name, value) in metadata)
        {
            target[name] = value;
        }
    }

    /// <summary>S3 answers the checksum it stored; one that differs from ours means the object is not what was downloaded.</summary>
    static void Verify(string? stored, string expected)
    {
        if (!string.IsNullOrEmpty(stored) && stored != expected)
        {
            throw new IngestException(ErrorCodes.StorageFailed,
                $"S3 reports checksum {stored} for the stored object, not {expected} (that of the downloaded bytes)");
        }
    }

    internal Task DeleteQuietlyAsync(string key) => CleanUpQuietlyAsync("DeleteObject", key, token =>
        s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = key }, token));

    // Runs after a failure, also when the caller has gone away, so with its own short deadline.
    async Task CleanUpQuietlyAsync(string operation, string key, Func<CancellationToken, Task> cleanUp)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await cleanUp(deadline.Token);
        }
        catch (Exception e)
        {
            if (_cleanUpFailures.Occur())
            {
                Log.CleanUpFailed(logger, operation, Bucket, key, e.Message);
            }
        }
    }
}
