using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using HybridIngest.Contracts;
using HybridIngest.Offline;

namespace HybridIngest.Cli;

/// <summary>How one stored image compares with what the server reported and with the checksum S3 stored.</summary>
public enum VerifyStatus
{
    Ok,
    Missing,
    SizeDiffers,
    Sha256Differs,
    /// <summary>S3 holds no SHA-256 checksum (<c>x-amz-checksum-sha256</c>) for the object.</summary>
    NoChecksum,
    /// <summary>S3's SHA-256 checksum (full-object or composite) is not that of the object's bytes.</summary>
    ChecksumDiffers,
}

/// <param name="StoredChecksum">The SHA-256 checksum S3 returned for the object, if any.</param>
public sealed record VerifyResult(StoredImage Expected, VerifyStatus Status, long? ActualSize, string? ActualSha256, string? StoredChecksum = null);

/// <summary>
/// Checks through the S3 API that each reported object exists with the reported size and SHA-256, and
/// that S3's own SHA-256 checksum of it is there and is that of its bytes: the full-object form for a
/// single PutObject, the composite form (<c>X-N</c>) for a multipart upload. The object is read and
/// hashed here: a checksum S3 stored is only as good as the upload that sent it.
/// </summary>
public sealed class ImageVerifier(IAmazonS3 s3)
{
    /// <summary>
    /// An S3 client for where the images were stored: the recorded endpoint (the local stack's moto,
    /// path-style, moto's keys unless the environment has some) or AWS with the default credential chain.
    /// </summary>
    public static IAmazonS3 CreateClient(string region, string? s3Endpoint)
    {
        return s3Endpoint is null
            ? new AmazonS3Client(new AmazonS3Config { RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region) })
            : EmulatorS3.CreateClient(s3Endpoint, region);
    }

    public async Task<IReadOnlyList<VerifyResult>> VerifyAsync(IEnumerable<StoredImage> images, CancellationToken cancellationToken)
    {
        var results = new List<VerifyResult>();
        foreach (var image in images)
        {
            results.Add(await VerifyAsync(image, cancellationToken));
        }
        return results;
    }

    async Task<VerifyResult> VerifyAsync(StoredImage image, CancellationToken cancellationToken)
    {
        GetObjectResponse response;
        try
        {
            response = await s3.GetObjectAsync(new GetObjectRequest
            {
                BucketName = image.Bucket,
                Key = image.Key,
                ChecksumMode = ChecksumMode.ENABLED,
            }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return new VerifyResult(image, VerifyStatus.Missing, null, null);
        }
        using (response)
        {
            var stored = string.IsNullOrEmpty(response.ChecksumSHA256) ? null : response.ChecksumSHA256;
            var partSize = stored is not null && S3Checksum.CompositeParts(stored) is not null
                ? await FirstPartSizeAsync(image, cancellationToken)
                : (long?)null;
            using var bytes = new BytesHash(partSize);
            var buffer = new byte[81920];
            try
            {
                int read;
                while ((read = await response.ResponseStream.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    bytes.Append(buffer.AsSpan(0, read));
                }
            }
            catch (AmazonClientException) when (stored is not null && partSize is null)
            {
                // In checksum mode the SDK hashes the bytes of an object with a full-object checksum
                // itself as they are read and throws with their last block ("Expected hash not equal
                // to calculated hash", no type of its own) when S3's checksum is not theirs.
                return new VerifyResult(image, VerifyStatus.ChecksumDiffers, null, null, stored);
            }

            var sha256 = Convert.ToHexStringLower(bytes.Sha256());
            var status = bytes.Size != image.Size ? VerifyStatus.SizeDiffers
                : !string.Equals(sha256, image.Sha256, StringComparison.OrdinalIgnoreCase) ? VerifyStatus.Sha256Differs
                : stored is null ? VerifyStatus.NoChecksum
                : stored != bytes.Checksum() ? VerifyStatus.ChecksumDiffers
                : VerifyStatus.Ok;
            return new VerifyResult(image, status, bytes.Size, sha256, stored);
        }
    }

    /// <summary>
    /// The size of a multipart object's parts, from S3 (HeadObject of part 1, which moto answers too).
    /// The composite checksum is computed with the bytes cut into parts of this size, the last one
    /// shorter: the layout the server uploads. An object whose other parts differ in size from the first
    /// would be reported as <see cref="VerifyStatus.ChecksumDiffers"/>.
    /// </summary>
    async Task<long> FirstPartSizeAsync(StoredImage image, CancellationToken cancellationToken)
    {
        var part = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest
        {
            BucketName = image.Bucket,
            Key = image.Key,
            PartNumber = 1,
        }, cancellationToken);
        return part.ContentLength;
    }

    /// <summary>
    /// The SHA-256 of a stream of bytes and S3's checksum of them: the full-object form, or with a part
    /// size the composite form (the SHA-256 of each part, then of those).
    /// </summary>
    sealed class BytesHash(long? partSize) : IDisposable
    {
        readonly IncrementalHash _whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        readonly IncrementalHash? _part = partSize is > 0 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        readonly List<byte> _partSha256s = [];
        long _inPart;

        public long Size { get; private set; }

        public void Append(ReadOnlySpan<byte> data)
        {
            _whole.AppendData(data);
            Size += data.Length;
            while (_part is not null && !data.IsEmpty)
            {
                var take = (int)Math.Min(data.Length, partSize!.Value - _inPart);
                _part.AppendData(data[..take]);
                _inPart += take;
                data = data[take..];
                if (_inPart == partSize.Value)
                {
                    EndPart();
                }
            }
        }

        public byte[] Sha256() => _whole.GetCurrentHash();

        public string Checksum()
        {
            if (_part is null)
            {
                return S3Checksum.FullObject(Sha256());
            }
            if (_inPart > 0 || _partSha256s.Count == 0)
            {
                EndPart();
            }
            return S3Checksum.Composite([.. _partSha256s]);
        }

        public void Dispose()
        {
            _whole.Dispose();
            _part?.Dispose();
        }

        void EndPart()
        {
            _partSha256s.AddRange(_part!.GetHashAndReset());
            _inPart = 0;
        }
    }
}
