using System.Text.Json.Serialization;

namespace HybridIngest.Contracts;

/// <summary>Body of <c>POST /process-image</c>. The seed lab's Lambda sends image_url and timestamp.</summary>
public sealed record ProcessImageRequest(
    [property: JsonPropertyName("image_url")] string? ImageUrl,
    [property: JsonPropertyName("timestamp")] string? Timestamp = null,
    [property: JsonPropertyName("request_id")] string? RequestId = null);

/// <summary>
/// 200 answer of <c>POST /process-image</c> and <c>POST /test-process</c>: the lab's fields first,
/// then ours. <see cref="S3Location"/> is the object's https URL, as the lab returns it (path-style
/// on an emulator endpoint); <see cref="S3Uri"/> is <c>s3://bucket/key</c> for tools.
/// </summary>
public sealed record ProcessImageResponse
{
    [JsonPropertyName("success")] public bool Success { get; init; } = true;
    [JsonPropertyName("message")] public string Message { get; init; } = "Image processed successfully";
    [JsonPropertyName("image_id")] public required string ImageId { get; init; }
    [JsonPropertyName("s3_location")] public required string S3Location { get; init; }
    [JsonPropertyName("file_size")] public required long FileSize { get; init; }
    [JsonPropertyName("file_extension")] public required string FileExtension { get; init; }
    [JsonPropertyName("timestamp")] public required string Timestamp { get; init; }
    // Always sent by this server; optional to read, so that clients still parse older servers' answers.
    [JsonPropertyName("s3_uri")] public string? S3Uri { get; init; }
    [JsonPropertyName("bucket")] public required string Bucket { get; init; }
    [JsonPropertyName("key")] public required string Key { get; init; }
    [JsonPropertyName("content_type")] public required string ContentType { get; init; }
    [JsonPropertyName("sha256")] public required string Sha256 { get; init; }
    [JsonPropertyName("download_ms")] public required long DownloadMs { get; init; }
    [JsonPropertyName("upload_ms")] public required long UploadMs { get; init; }
    [JsonPropertyName("total_ms")] public required long TotalMs { get; init; }
    [JsonPropertyName("request_id")] public string? RequestId { get; init; }
}

/// <summary>
/// Error answer of the server (<c>application/problem+json</c>, RFC 9457) with the lab-style
/// <c>error</c> string and a stable machine <see cref="Code"/> from <see cref="ErrorCodes"/>.
/// </summary>
public sealed record ErrorResponse
{
    [JsonPropertyName("type")] public string? Type { get; init; }
    [JsonPropertyName("title")] public required string Title { get; init; }
    [JsonPropertyName("status")] public required int Status { get; init; }
    [JsonPropertyName("detail")] public required string Detail { get; init; }
    [JsonPropertyName("success")] public bool Success { get; init; }
    [JsonPropertyName("error")] public required string Error { get; init; }
    [JsonPropertyName("code")] public required string Code { get; init; }
    [JsonPropertyName("request_id")] public string? RequestId { get; init; }
}

/// <summary>The stable machine codes of every failure the pipeline reports.</summary>
public static class ErrorCodes
{
    public const string InvalidRequest = "invalid_request";
    public const string InvalidUrl = "invalid_url";
    public const string BlockedDestination = "blocked_destination";
    public const string DownloadFailed = "download_failed";
    public const string OriginTimeout = "origin_timeout";
    public const string NotAnImage = "not_an_image";
    public const string TooLarge = "too_large";
    public const string StorageFailed = "storage_failed";
    public const string Overloaded = "overloaded";

    /// <summary>The server failed in a way it did not expect (a bug); its log has the cause, the caller gets no detail.</summary>
    public const string InternalError = "internal_error";

    /// <summary>A request with the same request_id is still running (on this or another server); retry it.</summary>
    public const string RequestInProgress = "request_in_progress";

    /// <summary>The request_id was already used for another image_url.</summary>
    public const string RequestIdReused = "request_id_reused";

    /// <summary>The function could not reach the server (function side only).</summary>
    public const string ServerUnreachable = "server_unreachable";

    /// <summary>The server did not answer before the function's deadline (function side only).</summary>
    public const string ServerTimeout = "server_timeout";

    /// <summary>The server answered with something that is not its JSON contract (function side only).</summary>
    public const string BadServerResponse = "bad_server_response";

    /// <summary>
    /// The server answered an error with its own <c>error</c> string but no <c>code</c>, as the seed
    /// lab's Flask server does (function side only).
    /// </summary>
    public const string ServerError = "server_error";
}

/// <summary>
/// <c>GET /health</c> and <c>GET /ready</c>; <c>timestamp</c> is the server's UTC time (ISO 8601), as in the lab;
/// <c>admission</c> (on <c>/ready</c>) how busy the ingest endpoints are.
/// </summary>
public sealed record HealthResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("service")] string Service,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("bucket")] string? Bucket = null,
    [property: JsonPropertyName("detail")] string? Detail = null,
    [property: JsonPropertyName("timestamp")] string? Timestamp = null,
    [property: JsonPropertyName("admission")] AdmissionStatus? Admission = null);

/// <summary>
/// The server's admission state: requests working (<c>in_progress</c> of <c>limit</c> slots), waiting for a
/// slot (<c>queued</c> of <c>queue_limit</c>), refused 503 overloaded since it started, and whether it drains (SIGTERM).
/// </summary>
public sealed record AdmissionStatus(
    [property: JsonPropertyName("in_progress")] int InProgress,
    [property: JsonPropertyName("limit")] int Limit,
    [property: JsonPropertyName("queued")] int Queued,
    [property: JsonPropertyName("queue_limit")] int QueueLimit,
    [property: JsonPropertyName("refused")] long Refused,
    [property: JsonPropertyName("draining")] bool Draining);

/// <summary><c>GET /</c>: what this service is and what it serves.</summary>
public sealed record ServiceInfo(
    [property: JsonPropertyName("service")] string Service,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("endpoints")] IReadOnlyDictionary<string, string> Endpoints);

/// <summary>Header names of the server's API.</summary>
public static class ServerHeaders
{
    /// <summary>The caller's request id (the function sends its invocation's); echoed on every answer.</summary>
    public const string RequestId = "X-Request-Id";
}

/// <summary>The server's setting names that other parts set (the local mode, tests and benchmarks).</summary>
public static class ServerSettingNames
{
    /// <summary>Private CIDRs the server may download from (comma-separated); none by default.</summary>
    public const string AllowedPrivateCidrs = "INGEST_ALLOWED_PRIVATE_CIDRS";

    /// <summary>Seconds the server drains after SIGTERM (/ready 503, new requests refused, those in flight finish).</summary>
    public const string DrainSeconds = "INGEST_DRAIN_SECONDS";
}

/// <summary>Image URLs as logs may hold them.</summary>
public static class LoggedUrls
{
    /// <summary>
    /// The URL without its user info, query and fragment (a presigned URL's signature, a token),
    /// "?(query hidden)" marking a query that was there: for log lines and error details, which reach CloudWatch.
    /// </summary>
    public static string WithoutSecrets(Uri url) =>
        url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped) + (url.Query.Length > 1 ? "?(query hidden)" : "");

    /// <inheritdoc cref="WithoutSecrets(Uri)"/>
    public static string WithoutSecrets(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var parsed) ? WithoutSecrets(parsed) : "(not an absolute URL)";
}
