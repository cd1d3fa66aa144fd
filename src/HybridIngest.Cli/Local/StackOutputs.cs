using System.Text.Json;

namespace HybridIngest.Cli.Local;

/// <summary>What local mode needs from <c>terraform output</c> (names as in infra/outputs.tf).</summary>
sealed record StackOutputs(
    string FunctionName,
    string FunctionArn,
    string Bucket,
    string Region,
    IReadOnlyDictionary<string, string> ServerEnvironment,
    IReadOnlyDictionary<string, string> FunctionEnvironment,
    int FunctionTimeoutSeconds,
    int FunctionMemoryMb)
{
    /// <summary>
    /// What <c>terraform apply</c> of infra/ with its default variables gives on moto (account
    /// 123456789012, us-east-1), for a stack that does not apply it (<c>local up --no-terraform</c>,
    /// <c>local invoke</c>). DemoTests checks these against the outputs the demo's apply prints.
    /// </summary>
    public static StackOutputs WithoutTerraform { get; } = new(
        "hybrid-ingest-function",
        "arn:aws:lambda:us-east-1:123456789012:function:hybrid-ingest-function",
        "hybrid-ingest-123456789012-us-east-1",
        "us-east-1",
        new Dictionary<string, string>
        {
            ["S3_BUCKET"] = "hybrid-ingest-123456789012-us-east-1",
            ["AWS_REGION"] = "us-east-1",
            ["ASPNETCORE_URLS"] = "http://0.0.0.0:8080",
        },
        new Dictionary<string, string>(),
        FunctionTimeoutSeconds: 30,
        FunctionMemoryMb: 512);

    public static StackOutputs From(IReadOnlyDictionary<string, JsonElement> outputs)
    {
        JsonElement Output(string name) => outputs.TryGetValue(name, out var value)
            ? value
            : throw new InvalidOperationException($"infra/ has no output '{name}', which local mode reads (see infra/README.md).");
        static Dictionary<string, string> Map(JsonElement map) => map.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
        return new StackOutputs(
            Output("function_name").GetString()!,
            Output("function_arn").GetString()!,
            Output("bucket_name").GetString()!,
            Output("region").GetString()!,
            Map(Output("server_environment")),
            Map(Output("function_environment")),
            Output("function_timeout_s").GetInt32(),
            Output("function_memory_mb").GetInt32());
    }
}
