using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using HybridIngest.Contracts;

namespace HybridIngest.Function;

/// <summary>One event handed out by <c>GET /runtime/invocation/next</c>.</summary>
sealed record Invocation(string RequestId, DateTimeOffset Deadline, string? TraceId, string? FunctionArn, byte[] Payload);

/// <summary>The Lambda Runtime API as the loop sees it: the seam that lets tests drive the loop.</summary>
interface IRuntimeApi
{
    Task<Invocation> NextAsync(CancellationToken cancellationToken);

    Task SendResponseAsync(string requestId, byte[] payload, CancellationToken cancellationToken);

    Task SendErrorAsync(string requestId, LambdaError error, CancellationToken cancellationToken);

    Task SendInitErrorAsync(LambdaError error, CancellationToken cancellationToken);
}

/// <summary>
/// The Runtime API answered with an error status. 500 means the execution environment is broken
/// ("container error"): the runtime must exit.
/// </summary>
sealed class RuntimeApiException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    public bool IsFatal => Status == HttpStatusCode.InternalServerError;
}

/// <summary>The Runtime API over HTTP, at <c>http://${AWS_LAMBDA_RUNTIME_API}/</c>.</summary>
sealed class RuntimeApiClient(HttpClient http) : IRuntimeApi
{
    /// <summary>The client for the address Lambda gives in AWS_LAMBDA_RUNTIME_API (host:port).</summary>
    public static RuntimeApiClient Create(string runtimeApi)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseProxy = false })
        {
            BaseAddress = new Uri($"http://{runtimeApi}/"),
            // No client timeout: Lambda freezes the environment between invocations, while `next` is
            // in flight, for as long as it likes; a timeout would fire on thaw and drop the event.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        return new RuntimeApiClient(http);
    }

    public async Task<Invocation> NextAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(RuntimeApiPaths.Next, cancellationToken);
        await EnsureAcceptedAsync(response, "next", cancellationToken);
        var requestId = Header(response, RuntimeApiHeaders.AwsRequestId)
            ?? throw new RuntimeApiException(response.StatusCode, $"next answered without {RuntimeApiHeaders.AwsRequestId}.");
        var deadlineMs = long.TryParse(Header(response, RuntimeApiHeaders.DeadlineMs), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? ms
            : throw new RuntimeApiException(response.StatusCode, $"next answered without a numeric {RuntimeApiHeaders.DeadlineMs}.");
        return new Invocation(
            requestId,
            DateTimeOffset.FromUnixTimeMilliseconds(deadlineMs),
            Header(response, RuntimeApiHeaders.TraceId),
            Header(response, RuntimeApiHeaders.InvokedFunctionArn),
            await response.Content.ReadAsByteArrayAsync(cancellationToken));
    }

    public Task SendResponseAsync(string requestId, byte[] payload, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, RuntimeApiPaths.Response(requestId)) { Content = new ByteArrayContent(payload) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return SendAsync(request, "response", cancellationToken);
    }

    public Task SendErrorAsync(string requestId, LambdaError error, CancellationToken cancellationToken) =>
        SendAsync(ErrorRequest(RuntimeApiPaths.Error(requestId), error), "error", cancellationToken);

    public Task SendInitErrorAsync(LambdaError error, CancellationToken cancellationToken) =>
        SendAsync(ErrorRequest(RuntimeApiPaths.InitError, error), "init/error", cancellationToken);

    static HttpRequestMessage ErrorRequest(string path, LambdaError error)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(error, HybridIngestJsonContext.Default.LambdaError)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(RuntimeApiHeaders.ErrorContentType);
        request.Headers.Add(RuntimeApiHeaders.FunctionErrorType, error.ErrorType);
        return request;
    }

    async Task SendAsync(HttpRequestMessage request, string call, CancellationToken cancellationToken)
    {
        using (request)
        {
            using var response = await http.SendAsync(request, cancellationToken);
            await EnsureAcceptedAsync(response, call, cancellationToken);
        }
    }

    static async Task EnsureAcceptedAsync(HttpResponseMessage response, string call, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new RuntimeApiException(response.StatusCode, $"Runtime API {call} answered {(int)response.StatusCode}: {body}");
        }
    }

    static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
