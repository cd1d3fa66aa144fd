using System.Text.Json.Serialization;

namespace HybridIngest.Contracts;

/// <summary>The one source-generated serializer context for every wire shape in the repo.</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    MaxDepth = 16)]
[JsonSerializable(typeof(ProcessImageRequest))]
[JsonSerializable(typeof(ProcessImageResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ServiceInfo))]
[JsonSerializable(typeof(FunctionEvent))]
[JsonSerializable(typeof(FunctionResponse))]
[JsonSerializable(typeof(FunctionResponseBody))]
[JsonSerializable(typeof(LambdaError))]
[JsonSerializable(typeof(LambdaServiceError))]
[JsonSerializable(typeof(LocalStackStatus))]
[JsonSerializable(typeof(LocalLambdaHostConfig))]
[JsonSerializable(typeof(StoredImagesFile))]
[JsonSerializable(typeof(BenchResults))]
public sealed partial class HybridIngestJsonContext : JsonSerializerContext;
