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

    /// <summary>
    /// Whether <c>up</c> applied infra/ to moto_server; false after <c>up --no-terraform</c>, which
    /// created only the bucket and gave the function and the server infra/'s default settings.
    /// </summary>
    [JsonPropertyName("terraform_applied")] public bool TerraformApplied { get; init; } = true;

    /// <summary>The Aspire dashboard's page (traces, metrics, logs), when <c>up --dashboard</c> started it.</summary>
    [JsonPropertyName("dashboard_url")] public string? DashboardUrl { get; init; }

    /// <summary>The dashboard's OTLP/HTTP endpoint, where the server and the function send their telemetry.</summary>
    [JsonPropertyName("otlp_endpoint")] public string? OtlpEndpoint { get; init; }

    /// <summary>Every process <c>up</c> started; <c>down</c> stops exactly these.</summary>
    [JsonPropertyName("processes")] public required IReadOnlyList<LocalProcess> Processes { get; init; }
}

/// <summary>
/// One process of the local stack, with what identifies it beyond its pid (its start in clock
/// ticks since boot), so that a recycled pid is never taken for it.
/// </summary>
public sealed record LocalProcess
{
    /// <summary>moto, server, lambda-host or dashboard.</summary>
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

    /// <summary>The account in the function's ARN: the deployed function's (moto's) account.</summary>
    [JsonPropertyName("account_id")] public required string AccountId { get; init; }
}

/// <summary>
/// A function's configuration as the Lambda API answers GetFunctionConfiguration (and inside
/// GetFunction and ListFunctions): the fields the local host knows of its one function.
/// </summary>
public sealed record LambdaFunctionConfiguration
{
    [JsonPropertyName("FunctionName")] public required string FunctionName { get; init; }
    [JsonPropertyName("FunctionArn")] public required string FunctionArn { get; init; }
    [JsonPropertyName("Runtime")] public required string Runtime { get; init; }
    [JsonPropertyName("Handler")] public required string Handler { get; init; }
    [JsonPropertyName("CodeSize")] public required long CodeSize { get; init; }
    [JsonPropertyName("Timeout")] public required int Timeout { get; init; }
    [JsonPropertyName("MemorySize")] public required int MemorySize { get; init; }
    [JsonPropertyName("LastModified")] public required string LastModified { get; init; }
    [JsonPropertyName("Version")] public required string Version { get; init; }
    [JsonPropertyName("Environment")] public required LambdaFunctionEnvironment Environment { get; init; }
    [JsonPropertyName("Architectures")] public required IReadOnlyList<string> Architectures { get; init; }
    [JsonPropertyName("PackageType")] public string PackageType { get; init; } = "Zip";
    [JsonPropertyName("State")] public string State { get; init; } = "Active";
    [JsonPropertyName("LastUpdateStatus")] public string LastUpdateStatus { get; init; } = "Successful";
}

public sealed record LambdaFunctionEnvironment([property: JsonPropertyName("Variables")] IReadOnlyDictionary<string, string> Variables);

/// <summary>GetFunction's answer (no <c>Code</c>: the local host's package is a folder on this machine).</summary>
public sealed record LambdaGetFunctionResponse([property: JsonPropertyName("Configuration")] LambdaFunctionConfiguration Configuration);

public sealed record LambdaListFunctionsResponse([property: JsonPropertyName("Functions")] IReadOnlyList<LambdaFunctionConfiguration> Functions);

/// <summary>
/// What <c>hybrid local up --servers N</c> hands to the local load balancer process it starts
/// (<c>hybrid local balancer --config FILE</c>): the servers it sends to at first.
/// </summary>
public sealed record LocalBalancerConfig
{
    /// <summary>Base URLs of the servers, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    [JsonPropertyName("targets")] public required IReadOnlyList<string> Targets { get; init; }
}

/// <summary>
/// One server behind the local load balancer as its control endpoint lists it (like ELB's
/// DescribeTargetHealth): its address and what the balancer's active health check last found.
/// </summary>
public sealed record BalancerTarget
{
    [JsonPropertyName("address")] public required string Address { get; init; }

    /// <summary><c>healthy</c>, <c>unhealthy</c> (the balancer sends it nothing) or <c>unknown</c> (not probed yet; it gets traffic).</summary>
    [JsonPropertyName("health")] public required string Health { get; init; }
}

/// <summary>
/// How <c>hybrid local</c> starts a server of the stack (its launch template): the unpacked
/// <c>server.zip</c> and the environment the instance would get, pointed at this machine. Written by
/// <c>local up</c>, read by <c>local restart-servers</c> to start the replacements.
/// </summary>
public sealed record LocalServerLaunch
{
    [JsonPropertyName("executable")] public required string Executable { get; init; }
    [JsonPropertyName("working_directory")] public required string WorkingDirectory { get; init; }

    /// <summary>Everything but the listen address, which each server gets for its own port.</summary>
    [JsonPropertyName("environment")] public required IReadOnlyDictionary<string, string?> Environment { get; init; }
}
