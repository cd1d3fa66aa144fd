using Amazon.Runtime;
using Amazon.S3;

namespace HybridIngest.Offline;

/// <summary>
/// The one way this repo builds an S3 client for an emulator endpoint (moto, the in-memory sink):
/// for <c>hybrid verify</c> and the demo against the local stack, and for tests and benchmarks. The
/// server builds its own (<c>IngestS3Client</c>: the SDK's default chains, tuned for its uploads).
/// </summary>
public static class EmulatorS3
{
    /// <summary>
    /// Path-style addressing (emulators serve buckets as paths), <paramref name="region"/> as the
    /// signing region, and the environment's AWS keys when it has some, else moto's dummy pair.
    /// </summary>
    public static AmazonS3Client CreateClient(string endpoint, string region = "us-east-1") => new(
        Credentials(),
        new AmazonS3Config { ServiceURL = endpoint, ForcePathStyle = true, AuthenticationRegion = region });

    public static AmazonS3Client CreateClient(Uri endpoint, string region = "us-east-1") => CreateClient(endpoint.ToString(), region);

    /// <summary>The environment's AWS keys when it has some, else moto's dummy pair.</summary>
    public static AWSCredentials Credentials()
    {
        var key = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") is { Length: > 0 } k ? k : MotoServer.AccessKeyId;
        var secret = Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY") is { Length: > 0 } s ? s : MotoServer.SecretAccessKey;
        return Environment.GetEnvironmentVariable("AWS_SESSION_TOKEN") is { Length: > 0 } token
            ? new SessionAWSCredentials(key, secret, token)
            : new BasicAWSCredentials(key, secret);
    }
}
