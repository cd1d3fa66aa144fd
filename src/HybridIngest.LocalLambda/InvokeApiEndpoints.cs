using System.Text;
using System.Text.Json;
using HybridIngest.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace HybridIngest.LocalLambda;

/// <summary>
/// The Lambda Invoke API, <c>POST /2015-03-31/functions/{name}/invocations</c> (RequestResponse), as
/// the AWS CLI and SDKs call it. Requests are not authenticated: the host listens on loopback only,
/// and a signature (any keys, for any region: the lab's benchmark.py signs for ap-south-1 wherever the
/// stack is) is accepted as is.
/// </summary>
static class InvokeApiEndpoints
{
    public static IEndpointRouteBuilder MapInvokeApi(this IEndpointRouteBuilder app, EnvironmentPool pool, LocalLambdaOptions options)
    {
        app.MapPost("/2015-03-31/functions/{name}/invocations", context => InvokeAsync(context, pool, options));
        return app;
    }

    static async Task InvokeAsync(HttpContext context, EnvironmentPool pool, LocalLambdaOptions options)
    {
        var requestId = Guid.NewGuid().ToString();
        context.Response.Headers[InvokeApiHeaders.RequestId] = requestId;

        var name = (string)context.Request.RouteValues["name"]!;
        if (!NamesFunction(name, options))
        {
            await FunctionNotFoundAsync(context, name, options);
            return;
        }
        var invocationType = context.Request.Headers[InvokeApiHeaders.InvocationType].FirstOrDefault() ?? "RequestResponse";
        if (invocationType == "DryRun")
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }
        if (invocationType != "RequestResponse")
        {
            await ServiceErrorAsync(context, StatusCodes.Status400BadRequest, "InvalidParameterValueException",
                $"The local Lambda host serves only RequestResponse invocations, not {invocationType}.");
            return;
        }
        var payload = await RuntimeApiEndpoints.ReadBodyAsync(context.Request, LambdaLimits.MaxPayloadBytes);
        if (payload is null)
        {
            await ServiceErrorAsync(context, StatusCodes.Status413PayloadTooLarge, "RequestTooLargeException",
                $"Request must be smaller than {LambdaLimits.MaxPayloadBytes} bytes for the InvokeFunction operation");
            return;
        }
        if (payload.Length == 0)
        {
            payload = "{}"u8.ToArray();
        }
        else if (!IsJson(payload))
        {
            await ServiceErrorAsync(context, StatusCodes.Status400BadRequest, "InvalidRequestContentException",
                "Could not parse request body into json: the payload must be JSON.");
            return;
        }

        var invocation = new Invocation(requestId, payload);
        if (await pool.InvokeAsync(invocation) is not { } result)
        {
            await ServiceErrorAsync(context, StatusCodes.Status429TooManyRequests, "TooManyRequestsException",
                "Rate Exceeded.", "ReservedFunctionConcurrentInvocationLimitExceeded");
            return;
        }

        context.Response.Headers[InvokeApiHeaders.ExecutedVersion] = LocalLambdaHost.Version;
        if (result.FunctionError is { } functionError)
        {
            context.Response.Headers[InvokeApiHeaders.FunctionError] = functionError;
        }
        if (string.Equals(context.Request.Headers[InvokeApiHeaders.LogType], "Tail", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers[InvokeApiHeaders.LogResult] = Convert.ToBase64String(Encoding.UTF8.GetBytes(invocation.LogTail()));
        }
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(result.Payload, context.RequestAborted);
    }

    /// <summary>The function's name, its ARN or partial ARN, each optionally with the $LATEST qualifier.</summary>
    internal static bool NamesFunction(string name, LocalLambdaOptions options)
    {
        var qualifier = ":" + LocalLambdaHost.Version;
        var unqualified = name.EndsWith(qualifier, StringComparison.Ordinal) ? name[..^qualifier.Length] : name;
        return unqualified == options.FunctionName
            || unqualified == options.FunctionArn
            || unqualified == $"{options.AccountId}:function:{options.FunctionName}";
    }

    /// <summary>Lambda's 404 for a name that is not the host's function.</summary>
    internal static Task FunctionNotFoundAsync(HttpContext context, string name, LocalLambdaOptions options) =>
        ServiceErrorAsync(context, StatusCodes.Status404NotFound, "ResourceNotFoundException", $"Function not found: {FunctionArn(name, options)}");

    static string FunctionArn(string name, LocalLambdaOptions options) =>
        name.StartsWith("arn:", StringComparison.Ordinal) ? name : $"arn:aws:lambda:{options.Region}:{options.AccountId}:function:{name}";

    static bool IsJson(byte[] payload)
    {
        try
        {
            using var _ = JsonDocument.Parse(payload);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    static Task ServiceErrorAsync(HttpContext context, int status, string errorType, string message, string? reason = null)
    {
        context.Response.StatusCode = status;
        context.Response.Headers[InvokeApiHeaders.ErrorType] = errorType;
        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(
            JsonSerializer.SerializeToUtf8Bytes(new LambdaServiceError("User", message, reason), HybridIngestJsonContext.Default.LambdaServiceError),
            context.RequestAborted).AsTask();
    }
}
