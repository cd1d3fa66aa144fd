using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using HybridIngest.Contracts;

namespace HybridIngest.Cli;

/// <summary>How one stored image compares with what the server reported.</summary>
public enum VerifyStatus
{
    Ok,
    Missing,
    SizeDiffers,
    Sha256Differs,
}

public sealed record VerifyResult(StoredImage Expected, VerifyStatus Status, long? ActualSize, string? ActualSha256);

/// <summary>
/// Checks through the S3 API that each reported object exists with the reported size and SHA-256
/// (the object is read and hashed here: a checksum S3 stored is only as good as the upload that sent it).
/// </summary>
public sealed class ImageVerifier(IAmazonS3 s3)
{
    /// <summary>
    /// An S3 client for where the images were stored: the recorded endpoint (the local stack's moto,
    /// path-style, moto's keys unless the environment has some) or AWS with the default credential chain.
    /// </summary>
    public static IAmazonS3 CreateClient(string region, string? s3Endpoint)
    {
        var config = new AmazonS3Config { RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region) };
        if (s3Endpoint is null)
        {
            return new AmazonS3Client(config);
        }
        config.ServiceURL = s3Endpoint;
        config.ForcePathStyle = true;
        var local = InvokeTarget.LocalCredentials();
        AWSCredentials credentials = local.SessionToken is null
            ? new BasicAWSCredentials(local.AccessKeyId, local.SecretAccessKey)
            : new SessionAWSCredentials(local.AccessKeyId, local.SecretAccessKey, local.SessionToken);
        return new AmazonS3Client(credentials, config);
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
            response = await s3.GetObjectAsync(image.Bucket, image.Key, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return new VerifyResult(image, VerifyStatus.Missing, null, null);
        }
        using (response)
        {
            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[81920];
            long size = 0;
            int read;
            while ((read = await response.ResponseStream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                sha256.AppendData(buffer, 0, read);
                size += read;
            }
            var hash = Convert.ToHexStringLower(sha256.GetHashAndReset());
            var status = size != image.Size ? VerifyStatus.SizeDiffers
                : !string.Equals(hash, image.Sha256, StringComparison.OrdinalIgnoreCase) ? VerifyStatus.Sha256Differs
                : VerifyStatus.Ok;
            return new VerifyResult(image, status, size, hash);
        }
    }
}
