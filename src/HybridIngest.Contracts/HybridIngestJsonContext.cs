using System.Text.Encodings.Web;
using System.Text.Json;
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
[JsonSerializable(typeof(LocalBalancerConfig))]
[JsonSerializable(typeof(LocalServerLaunch))]
[JsonSerializable(typeof(IReadOnlyList<BalancerTarget>))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(LambdaGetFunctionResponse))]
[JsonSerializable(typeof(LambdaListFunctionsResponse))]
[JsonSerializable(typeof(StoredImagesFile))]
[JsonSerializable(typeof(BenchResults))]
[JsonSerializable(typeof(InvokeResult))]
public sealed partial class HybridIngestJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The same shapes written for people and for tools that are not web pages: a quote inside a
    /// string as <c>\"</c>, <c>+</c>, <c>&lt;</c> and non-ASCII letters as themselves, where
    /// <see cref="Default"/> writes <c>\u0022</c>, <c>\u002B</c>… Never for JSON embedded in HTML.
    /// Built on first use from <see cref="Default"/>'s options, so the two differ only in escaping.
    /// </summary>
    public static HybridIngestJsonContext Relaxed =>
        field ??= new(new JsonSerializerOptions(Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
