using System.Text.Json.Serialization;

namespace HybridIngest.Contracts;

/// <summary>
/// The local stack that <c>hybrid local up</c> started: written to <c>.hybrid/state.json</c>,
/// printed by <c>hybrid local status --json</c>, read by invoke, verify and bench.
/// </summary>
public sealed record LocalStackStatus
{
    /// <summary>The local Lambda host's Invoke API (<c>aws lambda invoke --endpoint-url</c>).</summary>
    [JsonPropertyName("lambda_endpoint")] public required string LambdaEndpoint { get; init; }
    [JsonPropertyName("function_name")] public required string FunctionName { get; init; }
    [JsonPropertyName("server_url")] public required string ServerUrl { get; init; }

    /// <summary>moto_server's address: the S3 endpoint and every other emulated AWS API.</summary>
    [JsonPropertyName("s3_endpoint")] public required string S3Endpoint { get; init; }
    [JsonPropertyName("bucket")] public required string Bucket { get; init; }
    [JsonPropertyName("region")] public required string Region { get; init; }
    [JsonPropertyName("started_at")] public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Every process <c>up</c> started; <c>down</c> stops exactly these.</summary>
    [JsonPropertyName("processes")] public required IReadOnlyList<LocalProcess> Processes { get; init; }
}

/// <summary>
/// One process of the local stack, with what identifies it beyond its pid (its start in clock
/// ticks since boot), so that a recycled pid is never taken for it.
/// </summary>
public sealed record LocalProcess
{
    /// <summary>moto, server or lambda-host.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("pid")] public required int Pid { get; init; }
    [JsonPropertyName("port")] public required int Port { get; init; }
    [JsonPropertyName("process_started_at")] public required DateTimeOffset ProcessStartedAt { get; init; }

    /// <summary>
    /// The process's start in clock ticks since boot (/proc/PID/stat): what identifies it, since
    /// a wall-clock start time moves when the clock is stepped.
    /// </summary>
    [JsonPropertyName("process_start_ticks")] public required long ProcessStartTicks { get; init; }
    [JsonPropertyName("command_line")] public required string CommandLine { get; init; }
    [JsonPropertyName("log_file")] public required string LogFile { get; init; }

    /// <summary>Only in <c>status</c> output: whether the process is still the one <c>up</c> started.</summary>
    [JsonPropertyName("alive")] public bool? Alive { get; init; }
}

/// <summary>
/// The function's deployed configuration as <c>hybrid local up</c> hands it to the local Lambda
/// host process it starts (<c>hybrid local lambda-host --config FILE</c>).
/// </summary>
public sealed record LocalLambdaHostConfig
{
    [JsonPropertyName("function_name")] public required string FunctionName { get; init; }
    [JsonPropertyName("bootstrap_path")] public required string BootstrapPath { get; init; }
    [JsonPropertyName("environment")] public required IReadOnlyDictionary<string, string> Environment { get; init; }
    [JsonPropertyName("timeout_s")] public required int TimeoutSeconds { get; init; }
    [JsonPropertyName("memory_mb")] public required int MemoryMb { get; init; }
    [JsonPropertyName("max_concurrency")] public required int MaxConcurrency { get; init; }
    [JsonPropertyName("region")] public required string Region { get; init; }
}
