using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using HybridIngest.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace HybridIngest.LocalLambda;

/// <summary>
/// The read calls of the Lambda API a user tries after Invoke (<c>aws lambda get-function</c>,
/// <c>get-function-configuration</c>, <c>list-functions</c>), answered from the host's own
/// configuration of its one function: what it runs, not a copy of what was deployed.
/// </summary>
static class FunctionApiEndpoints
{
    /// <summary>The host runs a custom runtime's <c>bootstrap</c>, as Lambda's provided.al2023 does.</summary>
    const string Runtime = "provided.al2023";
    const string Handler = "bootstrap";

    public static IEndpointRouteBuilder MapFunctionApi(this IEndpointRouteBuilder app, LocalLambdaOptions options)
    {
        var loaded = DateTimeOffset.UtcNow;
        LambdaFunctionConfiguration Configuration() => Describe(options, loaded);
        app.MapGet("/2015-03-31/functions/", context => WriteAsync(context,
            JsonSerializer.SerializeToUtf8Bytes(new LambdaListFunctionsResponse([Configuration()]), HybridIngestJsonContext.Default.LambdaListFunctionsResponse)));
        app.MapGet("/2015-03-31/functions/{name}", context => ForFunctionAsync(context, options, () =>
            JsonSerializer.SerializeToUtf8Bytes(new LambdaGetFunctionResponse(Configuration()), HybridIngestJsonContext.Default.LambdaGetFunctionResponse)));
        app.MapGet("/2015-03-31/functions/{name}/configuration", context => ForFunctionAsync(context, options, () =>
            JsonSerializer.SerializeToUtf8Bytes(Configuration(), HybridIngestJsonContext.Default.LambdaFunctionConfiguration)));
        return app;
    }

    static Task ForFunctionAsync(HttpContext context, LocalLambdaOptions options, Func<byte[]> answer)
    {
        context.Response.Headers[InvokeApiHeaders.RequestId] = Guid.NewGuid().ToString();
        var name = (string)context.Request.RouteValues["name"]!;
        return InvokeApiEndpoints.NamesFunction(name, options)
            ? WriteAsync(context, answer())
            : InvokeApiEndpoints.FunctionNotFoundAsync(context, name, options);
    }

    static Task WriteAsync(HttpContext context, byte[] body)
    {
        context.Response.Headers.TryAdd(InvokeApiHeaders.RequestId, Guid.NewGuid().ToString());
        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    static LambdaFunctionConfiguration Describe(LocalLambdaOptions options, DateTimeOffset loaded) => new()
    {
        FunctionName = options.FunctionName,
        FunctionArn = options.FunctionArn,
        Runtime = Runtime,
        Handler = Handler,
        CodeSize = new FileInfo(options.BootstrapPath).Length, // the bootstrap, run unpacked
        Timeout = options.TimeoutSeconds,
        MemorySize = options.MemoryMb,
        LastModified = loaded.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", CultureInfo.InvariantCulture),
        Version = LocalLambdaHost.Version,
        Environment = new LambdaFunctionEnvironment(options.Environment),
        Architectures = [RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "x86_64"],
    };
}
