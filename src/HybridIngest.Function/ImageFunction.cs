using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HybridIngest.Contracts;

namespace HybridIngest.Function;

/// <summary>
/// The handler: reads the image URL from the event (either of the lab's shapes), has the server
/// ingest it, and answers in the lab's <c>{"statusCode", "body"}</c> shape. It never throws for
/// bad input or a failing server: those are answers (400, 502, 504), not function errors.
/// </summary>
sealed class ImageFunction(ServerClient server, OtlpExporter? exporter = null)
{
    /// <summary>The last invocation's span, exported once its answer is sent.</summary>
    FunctionSpan? _span;

    public const string SuccessMessage = "Image processed successfully";

    const int BadGateway = (int)System.Net.HttpStatusCode.BadGateway;

    const string EventShapes = "send {\"image_url\": \"https://…\"} or {\"body\": \"{\\\"image_url\\\": \\\"https://…\\\"}\"}";

    public async Task<byte[]> HandleAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var started = Stopwatch.GetTimestamp();
        var trace = FunctionTrace.From(invocation.TraceId);
        var response = await RespondAsync(invocation, trace, cancellationToken);
        var duration = Stopwatch.GetElapsedTime(started);
        JsonLog.Invocation(invocation.RequestId, response.Response.StatusCode, response.Body.Code, response.ImageUrl,
            response.Body.LambdaEc2CallTimeMs, Math.Round(duration.TotalMilliseconds, 2));
        if (exporter is not null)
        {
            _span = new FunctionSpan(trace, "invocation", startedAt, duration, invocation.RequestId, response.Response.StatusCode, response.Body.Code);
        }
        return JsonSerializer.SerializeToUtf8Bytes(response.Response, HybridIngestJsonContext.Relaxed.FunctionResponse);
    }

    /// <summary>Exports the last invocation's span, if tracing is on (after its answer was sent: see <see cref="LambdaLoop"/>).</summary>
    public async Task ExportSpanAsync(CancellationToken cancellationToken)
    {
        if (exporter is not null && Interlocked.Exchange(ref _span, null) is { } span)
        {
            await exporter.ExportAsync(span, cancellationToken);
        }
    }

    async Task<(FunctionResponse Response, FunctionResponseBody Body, string? ImageUrl)> RespondAsync(Invocation invocation, FunctionTrace trace,
        CancellationToken cancellationToken)
    {
        if (ReadImageUrl(invocation.Payload, out var problem) is not { } imageUrl)
        {
            var invalid = new FunctionResponseBody { Error = problem, Code = ErrorCodes.InvalidRequest, RequestId = invocation.RequestId };
            return (Respond(400, invalid), invalid, null);
        }

        var request = new ProcessImageRequest(imageUrl, DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture), invocation.RequestId);
        var started = Stopwatch.GetTimestamp();
        FunctionResponseBody body;
        int statusCode;
        try
        {
            var answer = await server.PostAsync(request, invocation.Deadline, trace.TraceParent, cancellationToken);
            (statusCode, body) = Wrap(answer);
        }
        catch (ServerCallException e)
        {
            statusCode = e.StatusCode;
            body = new FunctionResponseBody { Error = e.Message, Code = e.Code };
        }
        body = body with
        {
            LambdaEc2CallTimeMs = Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 2),
            RequestId = invocation.RequestId,
        };
        return (Respond(statusCode, body), body, imageUrl);
    }

    /// <summary>
    /// The server's answer in the function's contract. A success is wrapped as is. An error whose JSON
    /// has an <c>error</c> string (our problem+json, or a lab-style server's <c>{"error": …}</c>) passes
    /// through with that string, its <c>code</c> (<c>server_error</c> when it has none) and its status
    /// when that is a 4xx (the caller's request was wrong) or 504 (the origin timed out, as the
    /// function's own server timeout is 504); any other status is 502, the server or what it depends on failed. An error without an <c>error</c> string is 502 <c>bad_server_response</c>.
    /// The server's JSON stays in <c>result</c> either way.
    /// </summary>
    static (int StatusCode, FunctionResponseBody Body) Wrap(ServerAnswer answer)
    {
        if (answer.StatusCode is >= 200 and < 300)
        {
            return (answer.StatusCode, new FunctionResponseBody { Message = SuccessMessage, Result = answer.Body });
        }
        if (StringProperty(answer.Body, "error") is not { } error)
        {
            return (BadGateway, new FunctionResponseBody
            {
                Error = $"The server answered HTTP {answer.StatusCode} with JSON that has no \"error\" string.",
                Code = ErrorCodes.BadServerResponse,
                Result = answer.Body,
            });
        }
        return (answer.StatusCode is (>= 400 and < 500) or 504 ? answer.StatusCode : BadGateway, new FunctionResponseBody
        {
            Error = error,
            Code = StringProperty(answer.Body, "code") ?? ErrorCodes.ServerError,
            Result = answer.Body,
        });
    }

    /// <summary>The image URL, or null with a problem that tells the caller what to send.</summary>
    static string? ReadImageUrl(byte[] payload, out string problem)
    {
        if (payload.Length > LambdaLimits.MaxPayloadBytes)
        {
            problem = $"The event is {payload.Length} bytes, more than Lambda's {LambdaLimits.MaxPayloadBytes}-byte limit: {EventShapes}.";
            return null;
        }
        try
        {
            var functionEvent = JsonSerializer.Deserialize(payload, HybridIngestJsonContext.Default.FunctionEvent);
            if (functionEvent is { ImageUrl: null, Body: { } body })
            {
                functionEvent = JsonSerializer.Deserialize(body, HybridIngestJsonContext.Default.FunctionEvent);
            }
            if (string.IsNullOrWhiteSpace(functionEvent?.ImageUrl))
            {
                problem = $"The event has no image_url: {EventShapes}.";
                return null;
            }
            problem = "";
            return functionEvent.ImageUrl;
        }
        catch (JsonException)
        {
            problem = $"The event is not valid JSON with a string image_url: {EventShapes}.";
            return null;
        }
    }

    static string? StringProperty(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    static FunctionResponse Respond(int statusCode, FunctionResponseBody body) =>
        new(statusCode, JsonSerializer.Serialize(body, HybridIngestJsonContext.Relaxed.FunctionResponseBody));
}
