using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using HybridIngest.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace HybridIngest.LocalLambda;

/// <summary>
/// The Lambda Runtime API for the bootstrap processes the host starts. Each environment's
/// AWS_LAMBDA_RUNTIME_API is <c>127.0.0.1:PORT/{environment}</c>, so one listener tells them apart.
/// </summary>
static class RuntimeApiEndpoints
{
    const string Prefix = "/{environment}/";

    public static IEndpointRouteBuilder MapRuntimeApi(this IEndpointRouteBuilder app, EnvironmentPool pool, LocalLambdaOptions options)
    {
        app.MapGet(Prefix + RuntimeApiPaths.Next, context => NextAsync(context, pool, options));
        app.MapPost(Prefix + RuntimeApiPaths.Version + "/runtime/invocation/{requestId}/response",
            context => CompleteAsync(context, pool, isError: false));
        app.MapPost(Prefix + RuntimeApiPaths.Version + "/runtime/invocation/{requestId}/error",
            context => CompleteAsync(context, pool, isError: true));
        app.MapPost(Prefix + RuntimeApiPaths.InitError, context => InitErrorAsync(context, pool));
        return app;
    }

    static async Task NextAsync(HttpContext context, EnvironmentPool pool, LocalLambdaOptions options)
    {
        if (Environment(context, pool) is not { } environment)
        {
            await EnvironmentGoneAsync(context);
            return;
        }
        Invocation invocation;
        try
        {
            invocation = await environment.NextAsync(context.RequestAborted);
        }
        catch (ChannelClosedException)
        {
            await EnvironmentGoneAsync(context);
            return;
        }
        catch (OperationCanceledException)
        {
            // The runtime went away while waiting.
            return;
        }
        var headers = context.Response.Headers;
        headers[RuntimeApiHeaders.AwsRequestId] = invocation.RequestId;
        headers[RuntimeApiHeaders.DeadlineMs] = invocation.Deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        headers[RuntimeApiHeaders.InvokedFunctionArn] = options.FunctionArn;
        headers[RuntimeApiHeaders.TraceId] = $"Root=1-{DateTimeOffset.UtcNow.ToUnixTimeSeconds():x8}-{invocation.RequestId.Replace("-", "", StringComparison.Ordinal)[..24]};Sampled=0";
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(invocation.Payload, context.RequestAborted);
    }

    static async Task CompleteAsync(HttpContext context, EnvironmentPool pool, bool isError)
    {
        if (Environment(context, pool) is not { } environment)
        {
            await EnvironmentGoneAsync(context);
            return;
        }
        var requestId = (string)context.Request.RouteValues["requestId"]!;
        var body = await ReadBodyAsync(context.Request, LambdaLimits.MaxPayloadBytes);
        if (body is null)
        {
            // As Lambda: the runtime is told, and the invocation ends with a function error.
            var message = $"Response payload size exceeded maximum allowed payload size ({LambdaLimits.MaxPayloadBytes} bytes).";
            environment.Complete(requestId, InvocationResult.Error(JsonSerializer.SerializeToUtf8Bytes(
                new LambdaError(message, "Function.ResponseSizeTooLarge"), HybridIngestJsonContext.Default.LambdaError)));
            await ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, "RequestEntityTooLarge", message);
            return;
        }
        if (isError && body.Length == 0)
        {
            body = JsonSerializer.SerializeToUtf8Bytes(
                new LambdaError("", context.Request.Headers[RuntimeApiHeaders.FunctionErrorType].FirstOrDefault() ?? "Runtime.Unknown"),
                HybridIngestJsonContext.Default.LambdaError);
        }
        if (!environment.Complete(requestId, isError ? InvocationResult.Error(body) : InvocationResult.Response(body)))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "InvalidRequestID", $"Invalid request ID: {requestId}");
            return;
        }
        await AcceptedAsync(context);
    }

    static async Task InitErrorAsync(HttpContext context, EnvironmentPool pool)
    {
        if (Environment(context, pool) is not { } environment)
        {
            await EnvironmentGoneAsync(context);
            return;
        }
        environment.FailInit(await ReadBodyAsync(context.Request, LambdaLimits.MaxPayloadBytes) ?? []);
        await AcceptedAsync(context);
    }

    static ExecutionEnvironment? Environment(HttpContext context, EnvironmentPool pool) =>
        pool.Find((string)context.Request.RouteValues["environment"]!);

    /// <summary>The body, or null when it is longer than <paramref name="limit"/>.</summary>
    public static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    static Task AcceptedAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync("""{"status":"OK"}""");
    }

    /// <summary>500 tells a runtime whose environment was shut down to exit.</summary>
    static Task EnvironmentGoneAsync(HttpContext context) =>
        ErrorAsync(context, StatusCodes.Status500InternalServerError, "Runtime.EnvironmentGone",
            "This execution environment was shut down: the runtime must exit.");

    static Task ErrorAsync(HttpContext context, int status, string errorType, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(
            JsonSerializer.SerializeToUtf8Bytes(new LambdaError(message, errorType), HybridIngestJsonContext.Default.LambdaError),
            context.RequestAborted).AsTask();
    }
}
