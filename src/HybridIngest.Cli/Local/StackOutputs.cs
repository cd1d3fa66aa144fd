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
