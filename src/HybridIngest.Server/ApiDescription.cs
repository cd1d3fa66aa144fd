using System.Text.Json.Nodes;
using HybridIngest.Contracts;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.OpenApi;

namespace HybridIngest.Server;

/// <summary>
/// The server describing itself and its one error path: the OpenAPI document at
/// <c>/openapi/v1.json</c> (every endpoint, its answers, and the error codes of <see cref="Problems"/>),
/// and an unexpected failure answered like every other error, as <c>internal_error</c>.
/// </summary>
public static partial class ApiDescription
{
    public static IServiceCollection AddApiDescription(this IServiceCollection services)
    {
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = ServiceApi.ServiceName;
                document.Info.Description = "Downloads an image from a URL and stores it in S3 by image id. " +
                    "Errors are application/problem+json with a stable `code`.";
                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                if (context.JsonTypeInfo.Type == typeof(ErrorResponse) && schema.Properties?["code"] is OpenApiSchema code)
                {
                    code.Enum = [.. Problems.Codes.Select(c => (JsonNode)JsonValue.Create(c))];
                }
                return Task.CompletedTask;
            });
        });
        return services;
    }

    /// <summary>
    /// An exception no endpoint handled (<c>UseExceptionHandler</c>'s handler): logged in full,
    /// answered 500 <c>internal_error</c> without detail.
    /// </summary>
    public static async Task AnswerUnexpectedFailureAsync(HttpContext context)
    {
        var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var requestId = context.Response.Headers[ServerHeaders.RequestId].ToString() is { Length: > 0 } id ? id : Guid.NewGuid().ToString("N");
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiDescription));
        Failed(logger, exception, context.Request.Method, context.Request.Path, requestId);
        context.Response.Headers[ServerHeaders.RequestId] = requestId;
        var problem = Problems.Create(ErrorCodes.InternalError, "the server failed unexpectedly; its log has the cause", requestId);
        await Problems.Result(problem).ExecuteAsync(context);
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Error, Message = "{Method} {Path} {RequestId} failed unexpectedly")]
    static partial void Failed(ILogger logger, Exception? exception, string method, string path, string requestId);
}
