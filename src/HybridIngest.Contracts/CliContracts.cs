using System.Text.Json.Serialization;

namespace HybridIngest.Contracts;

/// <summary>An object the server reported stored: what <c>hybrid verify</c> checks in S3.</summary>
public sealed record StoredImage
{
    [JsonPropertyName("bucket")] public required string Bucket { get; init; }
    [JsonPropertyName("key")] public required string Key { get; init; }
    [JsonPropertyName("size")] public required long Size { get; init; }
    [JsonPropertyName("sha256")] public required string Sha256 { get; init; }
    [JsonPropertyName("image_url")] public string? ImageUrl { get; init; }
}

/// <summary>
/// <c>.hybrid/last-results.json</c>: the images the last <c>hybrid invoke</c> or <c>hybrid bench</c>
/// stored, and where (region, S3 endpoint when not AWS's own).
/// </summary>
public sealed record StoredImagesFile
{
    /// <summary>invoke or bench.</summary>
    [JsonPropertyName("source")] public required string Source { get; init; }
    [JsonPropertyName("created_at")] public required DateTimeOffset CreatedAt { get; init; }
    [JsonPropertyName("region")] public required string Region { get; init; }
    [JsonPropertyName("s3_endpoint")] public string? S3Endpoint { get; init; }
    [JsonPropertyName("images")] public required IReadOnlyList<StoredImage> Images { get; init; }
}

/// <summary><c>hybrid invoke --json</c>: one invocation's outcome, the only thing it prints on stdout.</summary>
public sealed record InvokeResult
{
    [JsonPropertyName("function_name")] public required string FunctionName { get; init; }
    [JsonPropertyName("succeeded")] public required bool Succeeded { get; init; }

    /// <summary>The Invoke API's HTTP status.</summary>
    [JsonPropertyName("invoke_status")] public required int InvokeStatus { get; init; }

    /// <summary>The function's own statusCode, when its answer had one.</summary>
    [JsonPropertyName("function_status")] public int? FunctionStatus { get; init; }
    [JsonPropertyName("end_to_end_ms")] public required double EndToEndMs { get; init; }
    [JsonPropertyName("lambda_ec2_call_time_ms")] public double? LambdaEc2CallTimeMs { get; init; }
    [JsonPropertyName("cold_start")] public required bool ColdStart { get; init; }
    [JsonPropertyName("init_duration_ms")] public double? InitDurationMs { get; init; }
    [JsonPropertyName("request_id")] public string? RequestId { get; init; }

    /// <summary>The server's answer for the stored image (absent on failure).</summary>
    [JsonPropertyName("result")] public ProcessImageResponse? Result { get; init; }

    /// <summary>Why it failed: the function's error code, or invoke_&lt;status&gt;, function_error_…, bad_function_response.</summary>
    [JsonPropertyName("error")] public string? Error { get; init; }
    [JsonPropertyName("error_message")] public string? ErrorMessage { get; init; }
}

/// <summary>Latency statistics of one series, in milliseconds.</summary>
public sealed record LatencySummary
{
    [JsonPropertyName("count")] public required long Count { get; init; }
    [JsonPropertyName("min")] public required double Min { get; init; }
    [JsonPropertyName("mean")] public required double Mean { get; init; }
    [JsonPropertyName("p50")] public required double P50 { get; init; }
    [JsonPropertyName("p90")] public required double P90 { get; init; }
    [JsonPropertyName("p99")] public required double P99 { get; init; }
    [JsonPropertyName("max")] public required double Max { get; init; }
}

/// <summary>One invocation of a bench run.</summary>
public sealed record BenchSample
{
    [JsonPropertyName("concurrency")] public required int Concurrency { get; init; }
    [JsonPropertyName("sequence")] public required int Sequence { get; init; }

    /// <summary>When the invocation started, in ms since the start of its concurrency level.</summary>
    [JsonPropertyName("start_offset_ms")] public required double StartOffsetMs { get; init; }
    [JsonPropertyName("end_to_end_ms")] public required double EndToEndMs { get; init; }
    [JsonPropertyName("lambda_ec2_call_time_ms")] public double? LambdaEc2CallTimeMs { get; init; }

    /// <summary>The Invoke API's HTTP status (0 when no answer came).</summary>
    [JsonPropertyName("invoke_status")] public required int InvokeStatus { get; init; }

    /// <summary>The function's own statusCode, when its answer had one.</summary>
    [JsonPropertyName("function_status")] public int? FunctionStatus { get; init; }

    /// <summary>Why this invocation failed (an ErrorCodes value, a function error, or a transport error).</summary>
    [JsonPropertyName("error")] public string? Error { get; init; }
    [JsonPropertyName("cold_start")] public required bool ColdStart { get; init; }
    [JsonPropertyName("init_duration_ms")] public double? InitDurationMs { get; init; }

    /// <summary>The REPORT line's <c>Duration</c>: the function's handling of this event, init not included.</summary>
    [JsonPropertyName("function_duration_ms")] public double? FunctionDurationMs { get; init; }

    /// <summary>The server's <c>total_ms</c> (download start to stored), when it stored an image.</summary>
    [JsonPropertyName("server_total_ms")] public double? ServerTotalMs { get; init; }

    /// <summary>The server's <c>download_ms</c> (download start to the origin's last byte), when it stored an image.</summary>
    [JsonPropertyName("server_download_ms")] public double? ServerDownloadMs { get; init; }
}

/// <summary>The statistics of one concurrency level of a bench run.</summary>
public sealed record BenchLevel
{
    [JsonPropertyName("concurrency")] public required int Concurrency { get; init; }
    [JsonPropertyName("requests")] public required int Requests { get; init; }
    [JsonPropertyName("succeeded")] public required int Succeeded { get; init; }
    [JsonPropertyName("duration_s")] public required double DurationSeconds { get; init; }
    [JsonPropertyName("throughput_rps")] public required double ThroughputPerSecond { get; init; }
    [JsonPropertyName("end_to_end_ms")] public required LatencySummary EndToEndMs { get; init; }
    [JsonPropertyName("lambda_ec2_call_time_ms")] public LatencySummary? LambdaEc2CallTimeMs { get; init; }

    /// <summary>Counts by status: the function's statusCode, or "invoke_&lt;HTTP status&gt;" / "no_answer".</summary>
    [JsonPropertyName("status_counts")] public required IReadOnlyDictionary<string, int> StatusCounts { get; init; }
    [JsonPropertyName("error_counts")] public required IReadOnlyDictionary<string, int> ErrorCounts { get; init; }
    [JsonPropertyName("cold_starts")] public required int ColdStarts { get; init; }

    /// <summary>Where the time went, stage by stage, over the invocations that have every timing (absent when none has).</summary>
    [JsonPropertyName("stages")] public IReadOnlyList<BenchStageSummary>? Stages { get; init; }
}

/// <summary>One stage of the per-stage breakdown (see the Cli's <c>BenchStages</c>) and its statistics.</summary>
public sealed record BenchStageSummary
{
    /// <summary>invoke_api_host, init, function, function_to_server, download or s3_write.</summary>
    [JsonPropertyName("stage")] public required string Stage { get; init; }
    [JsonPropertyName("ms")] public required LatencySummary Ms { get; init; }
}

/// <summary><c>bench-results/&lt;timestamp&gt;/results.json</c>: settings, statistics and every sample.</summary>
public sealed record BenchResults
{
    [JsonPropertyName("started_at")] public required DateTimeOffset StartedAt { get; init; }
    [JsonPropertyName("function_name")] public required string FunctionName { get; init; }
    [JsonPropertyName("image_url")] public required string ImageUrl { get; init; }

    /// <summary>Requests per concurrency level (absent when the run was bounded by duration).</summary>
    [JsonPropertyName("requests_per_level")] public int? RequestsPerLevel { get; init; }

    /// <summary>Request starts per second across all workers (absent: as fast as answers come).</summary>
    [JsonPropertyName("rate_per_second")] public double? RatePerSecond { get; init; }
    [JsonPropertyName("duration_s")] public double? DurationSeconds { get; init; }

    /// <summary>The run was stopped (Ctrl+C) before every level finished; the results hold what was measured.</summary>
    [JsonPropertyName("interrupted")] public bool Interrupted { get; init; }
    [JsonPropertyName("levels")] public required IReadOnlyList<BenchLevel> Levels { get; init; }
    [JsonPropertyName("samples")] public required IReadOnlyList<BenchSample> Samples { get; init; }
}
