using HybridIngest.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HybridIngest.Server;

/// <summary>
/// A request that cannot be served, with its machine code (<see cref="ErrorCodes"/>) and a detail
/// meant for the caller: it says what was wrong, never how the server failed inside.
/// </summary>
public sealed class IngestException(string code, string detail, int? status = null, Exception? inner = null)
    : Exception(detail, inner)
{
    public string Code { get; } = code;
    public int Status { get; } = status ?? Problems.StatusOf(code);

    /// <summary>For the server's log line: the detail, and how the server failed inside when it did (the inner exception's message).</summary>
    public string LogDetail => InnerException is { } inner ? $"{Message} ({inner.Message})" : Message;
}

/// <summary>The one place where an error code gets its HTTP status and title.</summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    /// <summary>
    /// 4xx when the caller or the origin is at fault (a bad request, a refused destination, a body that
    /// is no image or too big, a request_id in use or used for another URL); 502/503/504 for trouble upstream (the origin's transport or answer, S3,
    /// our own capacity, time). A failure may carry its own status: download_failed is 400 when the
    /// origin answered 4xx other than 408/429 (the URL is wrong), 502 otherwise.
    /// </summary>
    static readonly Dictionary<string, (int Status, string Title)> Table = new()
    {
        [ErrorCodes.InvalidRequest] = (StatusCodes.Status400BadRequest, "Invalid request"),
        [ErrorCodes.InvalidUrl] = (StatusCodes.Status400BadRequest, "Invalid image URL"),
        [ErrorCodes.BlockedDestination] = (StatusCodes.Status403Forbidden, "Destination not allowed"),
        [ErrorCodes.NotAnImage] = (StatusCodes.Status422UnprocessableEntity, "Not an image"),
        [ErrorCodes.TooLarge] = (StatusCodes.Status413PayloadTooLarge, "Image too large"),
        [ErrorCodes.DownloadFailed] = (StatusCodes.Status502BadGateway, "Failed to download image"),
        [ErrorCodes.StorageFailed] = (StatusCodes.Status502BadGateway, "Failed to store image"),
        [ErrorCodes.RequestInProgress] = (StatusCodes.Status409Conflict, "Request in progress"),
        [ErrorCodes.RequestIdReused] = (StatusCodes.Status409Conflict, "Request ID already used"),
        [ErrorCodes.Overloaded] = (StatusCodes.Status503ServiceUnavailable, "Server overloaded"),
        [ErrorCodes.OriginTimeout] = (StatusCodes.Status504GatewayTimeout, "Image download timed out"),
        [ErrorCodes.InternalError] = (StatusCodes.Status500InternalServerError, "Internal error"),
    };

    /// <summary>Every code the server answers with (the OpenAPI document lists them).</summary>
    public static IEnumerable<string> Codes => Table.Keys;

    public static int StatusOf(string code) => Table[code].Status;

    /// <summary>Declares the problem answers an endpoint may give, with their <see cref="ErrorResponse"/> body.</summary>
    public static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder endpoint, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            endpoint.Produces<ErrorResponse>(status, ContentType);
        }
        return endpoint;
    }

    public static ErrorResponse Create(string code, string detail, string? requestId, int? status = null)
    {
        var (defaultStatus, title) = Table[code];
        return new ErrorResponse
        {
            Title = title,
            Status = status ?? defaultStatus,
            Detail = detail,
            Error = $"{title}: {detail}",
            Code = code,
            RequestId = requestId,
        };
    }

    public static ErrorResponse Create(IngestException failure, string? requestId) =>
        Create(failure.Code, failure.Message, requestId, failure.Status);

    public static JsonHttpResult<ErrorResponse> Result(ErrorResponse problem) =>
        TypedResults.Json(problem, HybridIngestJsonContext.Default.ErrorResponse, ContentType, problem.Status);
}
