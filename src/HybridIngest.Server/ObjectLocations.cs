using Amazon.S3;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server;

/// <summary>
/// Where a stored object can be found, in the two forms a response carries: the seed lab's https URL
/// (<c>s3_location</c>, which lab clients use as a URL) and the <c>s3://bucket/key</c> URI tools take
/// (<c>s3_uri</c>). The URL names the object; the bucket is private, so fetching it needs a signature.
/// </summary>
public sealed class ObjectLocations(IAmazonS3 s3, IOptions<IngestOptions> options)
{
    readonly string _bucket = options.Value.Bucket;
    readonly string? _endpoint = options.Value.ServiceUrl;

    // The region the client resolved (AWS_REGION, else the SDK's chain: instance metadata on EC2).
    readonly string? _region = s3.Config.RegionEndpoint?.SystemName ?? options.Value.Region;

    public string HttpsUrl(string key) => HttpsUrl(_bucket, key, _region, _endpoint);

    public string S3Uri(string key) => $"s3://{_bucket}/{key}";

    /// <summary>
    /// <c>https://BUCKET.s3.REGION.amazonaws.com/KEY</c> on AWS, as the lab returns it; path-style
    /// <c>https://s3.REGION.amazonaws.com/BUCKET/KEY</c> for a bucket name with dots (a virtual host
    /// would not match S3's wildcard certificate); <c>{endpoint}/BUCKET/KEY</c> on an endpoint
    /// override (emulators serve buckets as paths). Each key segment is percent-encoded.
    /// </summary>
    public static string HttpsUrl(string bucket, string key, string? region, string? endpoint)
    {
        var path = string.Join('/', key.Split('/').Select(Uri.EscapeDataString));
        if (!string.IsNullOrEmpty(endpoint))
        {
            return $"{endpoint.TrimEnd('/')}/{bucket}/{path}";
        }
        var regionPart = string.IsNullOrEmpty(region) ? "" : $".{region}";
        return bucket.Contains('.', StringComparison.Ordinal)
            ? $"https://s3{regionPart}.amazonaws.com/{bucket}/{path}"
            : $"https://{bucket}.s3{regionPart}.amazonaws.com/{path}";
    }
}
