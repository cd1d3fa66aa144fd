using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using HybridIngest.Contracts;

namespace HybridIngest.Function;

/// <summary>The server's answer: its status and its JSON object.</summary>
readonly record struct ServerAnswer(int StatusCode, JsonElement Body);

/// <summary>The call did not produce a server answer: what the function reports instead.</summary>
sealed class ServerCallException(int statusCode, string code, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public string Code { get; } = code;
}

/// <summary><c>POST {SERVER_URL}/process-image</c> over one pooled, kept-alive HttpClient.</summary>
sealed class ServerClient(HttpClient http, Uri processImageUri)
{
    /// <summary>Time kept back from the deadline so the function answers before Lambda kills it.</summary>
    public static readonly TimeSpan SafetyMargin = TimeSpan.FromMilliseconds(500);

    /// <summary>The server's JSON is a few hundred bytes; anything this big is not its answer.</summary>
    public const int MaxAnswerBytes = 256 * 1024;

    static readonly HttpRequestOptionsKey<bool> OpenedConnection = new("HybridIngest.OpenedConnection");

    /// <summary>
    /// The one HttpClient of the process, reused across invocations so that warm invocations skip
    /// the TCP handshake.
    /// </summary>
    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        // Below Kestrel's KeepAliveTimeout (130 s): the client drops an idle connection before the
        // server closes it, so a warm invocation rarely picks a connection the server is closing.
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        // The server is reached directly inside the VPC.
        UseProxy = false,
        // Records that the attempt opened a new connection (see the retry rule in PostAsync).
        ConnectCallback = async (context, cancellationToken) =>
        {
            context.InitialRequestMessage.Options.Set(OpenedConnection, true);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        // Each call has its own timeout from the invocation's deadline.
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Posts the request; throws <see cref="ServerCallException"/> when there is no usable answer.</summary>
    /// <param name="traceParent">The W3C <c>traceparent</c> of the invocation's span, sent as is.</param>
    public async Task<ServerAnswer> PostAsync(ProcessImageRequest request, DateTimeOffset deadline, string traceParent, CancellationToken cancellationToken)
    {
        var budget = deadline - DateTimeOffset.UtcNow - SafetyMargin;
        if (budget <= TimeSpan.Zero)
        {
            throw TimedOut(budget);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(budget);
        var body = JsonSerializer.SerializeToUtf8Bytes(request, HybridIngestJsonContext.Default.ProcessImageRequest);
        try
        {
            using var response = await SendAsync(body, request.RequestId, traceParent, timeout.Token);
            return new ServerAnswer((int)response.StatusCode, await ReadJsonObjectAsync(response, timeout.Token));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw TimedOut(budget);
        }
    }

    /// <summary>
    /// Sends once, and a second time only when the first attempt failed on a connection reused from
    /// the pool before the whole request left: the server cannot have processed a request whose
    /// body it did not get, so a retry is safe. That is the keep-alive race (the server closed an
    /// idle connection as it was picked). SocketsHttpHandler retries by itself only when the failure
    /// comes before the body starts; this also covers a failure while the body is being written.
    /// </summary>
    async Task<HttpResponseMessage> SendAsync(byte[] body, string? requestId, string traceParent, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var content = new TrackedContent(body);
            using var message = new HttpRequestMessage(HttpMethod.Post, processImageUri) { Content = content };
            if (requestId is not null)
            {
                message.Headers.Add(ServerHeaders.RequestId, requestId);
            }
            message.Headers.TryAddWithoutValidation(TelemetryNames.TraceParentHeader, traceParent);
            try
            {
                return await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException) when (attempt == 1 && !content.Sent && !message.Options.TryGetValue(OpenedConnection, out _))
            {
                JsonLog.Error("A pooled connection to the server failed before the request was sent; retrying once.", requestId);
            }
            catch (HttpRequestException e)
            {
                throw new ServerCallException(502, ErrorCodes.ServerUnreachable,
                    $"Could not reach the server at {processImageUri}: {e.Message}");
            }
        }
    }

    static async Task<JsonElement> ReadJsonObjectAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        if (response.Content.Headers.ContentLength > MaxAnswerBytes)
        {
            throw BadAnswer(status, $"its answer is {response.Content.Headers.ContentLength} bytes, more than {MaxAnswerBytes}");
        }
        byte[] bytes;
        try
        {
            bytes = await ReadAtMostAsync(response.Content, MaxAnswerBytes, cancellationToken)
                ?? throw BadAnswer(status, $"its answer is more than {MaxAnswerBytes} bytes");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw BadAnswer(status, $"the connection broke while reading its answer ({e.Message})");
        }
        try
        {
            using var document = JsonDocument.Parse(bytes);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.Clone()
                : throw BadAnswer(status, $"its answer is a JSON {document.RootElement.ValueKind}, not an object");
        }
        catch (JsonException)
        {
            throw BadAnswer(status, $"its answer is not JSON (Content-Type: {response.Content.Headers.ContentType?.ToString() ?? "none"})");
        }
    }

    static async Task<byte[]?> ReadAtMostAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[limit + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }
        return length > limit ? null : buffer[..length];
    }

    static ServerCallException BadAnswer(int status, string what) =>
        new(502, ErrorCodes.BadServerResponse, $"The server answered HTTP {status} but {what}.");

    static ServerCallException TimedOut(TimeSpan budget) =>
        new(504, ErrorCodes.ServerTimeout,
            $"The server did not answer within {Math.Max(0, (long)budget.TotalMilliseconds)} ms (the invocation's remaining time less a {SafetyMargin.TotalMilliseconds} ms margin).");

    /// <summary>The request body; knows whether it reached the socket.</summary>
    sealed class TrackedContent : HttpContent
    {
        readonly byte[] _body;

        public TrackedContent(byte[] body)
        {
            _body = body;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        public bool Sent { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(_body, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            Sent = true;
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = _body.Length;
            return true;
        }
    }
}
