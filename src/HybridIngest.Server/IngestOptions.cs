using System.ComponentModel.DataAnnotations;
using HybridIngest.Contracts;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server;

/// <summary>
/// The server's settings, read from the environment (or any configuration source) under the names
/// in <see cref="ConfigurationKeyNameAttribute"/> and validated at start. (The generated validator
/// ignores ErrorMessage on [Range], so range failures name the property, e.g.
/// IngestOptions.MaxRedirects for INGEST_MAX_REDIRECTS.)
/// </summary>
public sealed class IngestOptions
{
    /// <summary>The drain period's setting, read by the host's stop timeout too.</summary>
    public const string DrainSetting = ServerSettingNames.DrainSeconds;

    [ConfigurationKeyName("S3_BUCKET")]
    [Required(ErrorMessage = "S3_BUCKET is not set: set it to the name of the bucket that receives the images.")]
    [RegularExpression("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        ErrorMessage = "S3_BUCKET is not a valid bucket name (3-63 characters: lower-case letters, digits, dots, hyphens).")]
    public string Bucket { get; set; } = "";

    /// <summary>The AWS region; when unset the SDK's own chain decides (instance metadata on EC2).</summary>
    [ConfigurationKeyName("AWS_REGION")]
    public string? Region { get; set; }

    /// <summary>The SDK's S3-specific endpoint override; path-style addressing is used when set.</summary>
    [ConfigurationKeyName("AWS_ENDPOINT_URL_S3")]
    [Url(ErrorMessage = "AWS_ENDPOINT_URL_S3 is not an absolute http(s) URL.")]
    public string? S3EndpointUrl { get; set; }

    /// <summary>The SDK's endpoint override for every service, used when the S3 one is unset.</summary>
    [ConfigurationKeyName("AWS_ENDPOINT_URL")]
    [Url(ErrorMessage = "AWS_ENDPOINT_URL is not an absolute http(s) URL.")]
    public string? EndpointUrl { get; set; }

    /// <summary>Largest image accepted, checked against Content-Length and while streaming.</summary>
    [ConfigurationKeyName("INGEST_MAX_IMAGE_BYTES")]
    [Range(1d, 5d * 1024 * 1024 * 1024)]
    public long MaxImageBytes { get; set; } = 50 * 1024 * 1024;

    [ConfigurationKeyName("INGEST_CONNECT_TIMEOUT_SECONDS")]
    [Range(0.01, 300)]
    public double ConnectTimeoutSeconds { get; set; } = 5;

    /// <summary>Budget for the whole download, from the first connect to the last byte, redirects included.</summary>
    [ConfigurationKeyName("INGEST_DOWNLOAD_TIMEOUT_SECONDS")]
    [Range(0.01, 3600)]
    public double DownloadTimeoutSeconds { get; set; } = 30;

    /// <summary>Ingest requests worked on at once (a slot is taken once the request body is read); more wait in the queue.</summary>
    [ConfigurationKeyName("INGEST_MAX_CONCURRENT_REQUESTS")]
    [Range(1, 100_000)]
    public int MaxConcurrentRequests { get; set; } = 64;

    /// <summary>Requests that may wait for a slot; beyond them, or after the queue timeout, 503 overloaded.</summary>
    [ConfigurationKeyName("INGEST_MAX_QUEUED_REQUESTS")]
    [Range(0, 100_000)]
    public int MaxQueuedRequests { get; set; } = 64;

    [ConfigurationKeyName("INGEST_QUEUE_TIMEOUT_SECONDS")]
    [Range(0.01, 60)]
    public double QueueTimeoutSeconds { get; set; } = 2;

    [ConfigurationKeyName("INGEST_MAX_REQUEST_BODY_BYTES")]
    [Range(256, 1024 * 1024)]
    public int MaxRequestBodyBytes { get; set; } = 16 * 1024;

    /// <summary>The whole request body must arrive within this, before the request may take a slot.</summary>
    [ConfigurationKeyName("INGEST_REQUEST_BODY_TIMEOUT_SECONDS")]
    [Range(0.01, 300)]
    public double RequestBodyTimeoutSeconds { get; set; } = 5;

    /// <summary>One HTTP attempt of an S3 call (a streamed PutObject gets the download's deadline on top).</summary>
    [ConfigurationKeyName("INGEST_S3_ATTEMPT_TIMEOUT_SECONDS")]
    [Range(0.01, 3600)]
    public double S3AttemptTimeoutSeconds { get; set; } = 10;

    /// <summary>One S3 call, retries included (a streamed PutObject gets the download's deadline on top).</summary>
    [ConfigurationKeyName("INGEST_S3_TIMEOUT_SECONDS")]
    [Range(0.01, 3600)]
    public double S3TimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// After SIGTERM: how long new requests are refused (503) while those in flight finish, before the
    /// server stops. None by default (a process on a desk); the instance's systemd unit sets it.
    /// </summary>
    [ConfigurationKeyName(DrainSetting)]
    [Range(0, 3600)]
    public double DrainSeconds { get; set; }

    [ConfigurationKeyName("INGEST_MAX_REDIRECTS")]
    [Range(0, 20)]
    public int MaxRedirects { get; set; } = 3;

    /// <summary>
    /// How long a request waits for the answer of one with the same request_id that is still in
    /// progress (on any server) before it gets 409 request_in_progress.
    /// </summary>
    [ConfigurationKeyName("INGEST_DUPLICATE_WAIT_SECONDS")]
    [Range(0, 300)]
    public double DuplicateWaitSeconds { get; set; } = 10;

    public TimeSpan ConnectTimeout => TimeSpan.FromSeconds(ConnectTimeoutSeconds);
    public TimeSpan DownloadTimeout => TimeSpan.FromSeconds(DownloadTimeoutSeconds);
    public TimeSpan QueueTimeout => TimeSpan.FromSeconds(QueueTimeoutSeconds);
    public TimeSpan RequestBodyTimeout => TimeSpan.FromSeconds(RequestBodyTimeoutSeconds);
    public TimeSpan S3AttemptTimeout => TimeSpan.FromSeconds(S3AttemptTimeoutSeconds);
    public TimeSpan S3Timeout => TimeSpan.FromSeconds(S3TimeoutSeconds);
    public TimeSpan Drain => TimeSpan.FromSeconds(DrainSeconds);
    public TimeSpan DuplicateWait => TimeSpan.FromSeconds(DuplicateWaitSeconds);

    /// <summary>The endpoint override in force, if any (the S3-specific one wins, as in the SDK).</summary>
    public string? ServiceUrl => string.IsNullOrEmpty(S3EndpointUrl) ? NullIfEmpty(EndpointUrl) : S3EndpointUrl;

    static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

[OptionsValidator]
public sealed partial class IngestOptionsValidator : IValidateOptions<IngestOptions>;
