using System.Buffers;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using HybridIngest.Contracts;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server;

/// <summary>
/// Writes a downloaded image to S3 without holding it in memory, and leaves nothing behind when a
/// write fails. A body of known length is streamed into one PutObject; a body of unknown length
/// goes through a multipart upload in 5 MiB parts (the smallest part S3 allows, and so the most
/// memory one such request holds). Every write carries a SHA-256 checksum computed as the bytes pass,
/// which S3 verifies. The object's sha256 metadata can only be known after the last byte, so it is
/// added afterwards by copying the object onto itself, which also makes S3 report the SHA-256 of
/// the whole stored object; it is compared with the hash of the downloaded bytes.
/// </summary>
public sealed class ImageStore(IAmazonS3 s3, IOptions<IngestOptions> options, ILogger<ImageStore> logger)
{
    const int PartSize = 5 * 1024 * 1024;

    public string Bucket { get; } = options.Value.Bucket;

    /// <summary>Stores <paramref name="body"/> at <paramref name="key"/> and returns the SHA-256 (hex) of what was stored.</summary>
    public async Task<string> StoreAsync(string key, ImageFormat format, DownloadStream body, long? length,
        IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        try
        {
            var putChecksum = length is { } known
                ? await PutAsync(key, format, body, known, metadata, cancellationToken)
                : await PutMultipartAsync(key, format, body, metadata, cancellationToken);
            var sha256 = body.Sha256Hex();
            Verify(putChecksum, sha256);

            var copy = new CopyObjectRequest
            {
                SourceBucket = Bucket,
                SourceKey = key,
                DestinationBucket = Bucket,
                DestinationKey = key,
                MetadataDirective = S3MetadataDirective.REPLACE,
                ContentType = format.ContentType,
                ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
            };
            AddMetadata(copy.Metadata, metadata);
            copy.Metadata["sha256"] = sha256;
            var copied = await s3.CopyObjectAsync(copy, cancellationToken);
            Verify(copied.ChecksumSHA256, sha256);
            return sha256;
        }
        catch
        {
            await DeleteQuietlyAsync(key);
            throw;
        }
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

    async Task<string?> PutAsync(string key, ImageFormat format, DownloadStream body, long length,
        IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var put = new PutObjectRequest
        {
            BucketName = Bucket,
            Key = key,
            InputStream = body,
            AutoCloseStream = false,
            ContentType = format.ContentType,
            ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
            Headers = { ContentLength = length },
        };
        AddMetadata(put.Metadata, metadata);
        var response = await s3.PutObjectAsync(put, cancellationToken);
        return response.ChecksumSHA256;
    }

    async Task<string?> PutMultipartAsync(string key, ImageFormat format, DownloadStream body,
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
        var buffer = ArrayPool<byte>.Shared.Rent(PartSize);
        try
        {
            var parts = new List<PartETag>();
            for (var number = 1; ; number++)
            {
                var filled = await body.ReadAtLeastAsync(buffer.AsMemory(0, PartSize), PartSize, throwOnEndOfStream: false, cancellationToken);
                if (filled == 0 && number > 1)
                {
                    break;
                }
                using var content = new MemoryStream(buffer, 0, filled, writable: false);
                var part = await s3.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = Bucket,
                    Key = key,
                    UploadId = uploadId,
                    PartNumber = number,
                    InputStream = content,
                    PartSize = filled,
                    ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
                }, cancellationToken);
                parts.Add(new PartETag { PartNumber = number, ETag = part.ETag, ChecksumSHA256 = part.ChecksumSHA256 });
                if (filled < PartSize)
                {
                    break;
                }
            }
            await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = Bucket,
                Key = key,
                UploadId = uploadId,
                PartETags = parts,
            }, cancellationToken);
            // The multipart checksum is a checksum of the parts' checksums: the copy verifies the whole.
            return null;
        }
        catch
        {
            await CleanUpQuietlyAsync("AbortMultipartUpload", key, token =>
                s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Bucket, Key = key, UploadId = uploadId }, token));
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    static void AddMetadata(MetadataCollection target, IReadOnlyDictionary<string, string> metadata)
    {
        foreach (var (name, value) in metadata)
        {
            target[name] = value;
        }
    }

    static void Verify(string? s3Checksum, string sha256Hex)
    {
        if (!string.IsNullOrEmpty(s3Checksum) && s3Checksum != Convert.ToBase64String(Convert.FromHexString(sha256Hex)))
        {
            throw new IngestException(ErrorCodes.StorageFailed,
                "S3 reports a different SHA-256 for the stored object than that of the downloaded bytes");
        }
    }

    Task DeleteQuietlyAsync(string key) => CleanUpQuietlyAsync("DeleteObject", key, token =>
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
            Log.CleanUpFailed(logger, operation, Bucket, key, e.Message);
        }
    }

    /// <summary>
    /// The S3 client: region from AWS_REGION (else the SDK's chain), endpoint from AWS_ENDPOINT_URL_S3
    /// or AWS_ENDPOINT_URL with path-style addressing (emulators serve buckets as paths), credentials
    /// from the SDK's default chain (the instance profile on EC2).
    /// </summary>
    public static IAmazonS3 CreateClient(IngestOptions options)
    {
        var config = new AmazonS3Config();
        if (!string.IsNullOrEmpty(options.Region))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }
        if (options.ServiceUrl is { } serviceUrl)
        {
            config.ServiceURL = serviceUrl;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = string.IsNullOrEmpty(options.Region) ? null : options.Region;
        }
        return new AmazonS3Client(config);
    }
}
