using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.RateLimiting;
using HybridIngest.Contracts;
using HybridIngest.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server;

/// <summary><c>POST /process-image</c>: download the image at a URL and store it in S3.</summary>
public static partial class ImageApi
{
    public const string RequestIdHeader = "X-Request-Id";
    /// <summary>The concurrency limit every ingest endpoint shares (INGEST_MAX_CONCURRENT_REQUESTS).</summary>
    internal const string ConcurrencyPolicy = "process-image";

    // A saturated server is usually free again within a second: tell clients to come back then.
    const string RetryAfterSeconds = "1";

    public static IServiceCollection AddImageApi(this IServiceCollection services)
    {
        services.AddSingleton<DestinationConnector>();
        services.AddHttpClient<ImageDownloader>(http =>
            {
                // ImageIngest bounds the whole download, body included; HttpClient.Timeout would not.
                http.Timeout = Timeout.InfiniteTimeSpan;
                http.DefaultRequestHeaders.UserAgent.ParseAdd("HybridIngest/1.0");
                // Origins that negotiate the format (CDNs) should pick one the server accepts, not AVIF.
                http.DefaultRequestHeaders.Accept.ParseAdd("image/jpeg, image/png, image/gif, image/webp, */*;q=0.1");
            })
            .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
            {
                AllowAutoRedirect = false, // ImageDownloader follows redirects itself, checking each hop
                AutomaticDecompression = System.Net.DecompressionMethods.None, // the bytes stored are the bytes sent
                UseProxy = false, // a proxy would be the address checked, not the origin
                UseCookies = false,
                ConnectTimeout = services.GetRequiredService<IOptions<IngestOptions>>().Value.ConnectTimeout,
                ConnectCallback = services.GetRequiredService<DestinationConnector>().ConnectAsync,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            })
            .RemoveAllLoggers(); // one log line per request, written by the handler
        services.AddSingleton(services => IngestS3Client.Create(services.GetRequiredService<IOptions<IngestOptions>>().Value));
        services.AddSingleton<ImageStore>();
        services.AddSingleton<ObjectLocations>();
        services.AddTransient<ImageIngest>();
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(ConcurrencyPolicy, context => RateLimitPartition.GetConcurrencyLimiter(ConcurrencyPolicy, _ =>
                new ConcurrencyLimiterOptions
                {
                    PermitLimit = context.RequestServices.GetRequiredService<IOptions<IngestOptions>>().Value.MaxConcurrentRequests,
                    QueueLimit = 0,
                }));
            limiter.OnRejected = RejectOverloadedAsync;
        });
        return services;
    }

    public static IEndpointRouteBuilder MapImageApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/process-image", ProcessImage).RequireRateLimiting(ConcurrencyPolicy);
        return app;
    }

    static async Task<Results<Ok<ProcessImageResponse>, JsonHttpResult<ErrorResponse>>> ProcessImage(
        HttpContext context, ImageIngest ingest, IdempotencyRecords records, DestinationPolicy policy,
        IOptions<IngestOptions> options, ILogger<ImageIngest> logger)
    {
        var started = Stopwatch.GetTimestamp();
        var requestId = ValidRequestId(context.Request.Headers[RequestIdHeader].ToString());
        var measurements = new IngestMeasurements();
        string? originHost = null;
        (string Outcome, int Status, string? Detail) logged = ("internal_error", 500, "unexpected failure");
        try
        {
            var request = await ReadRequestAsync(context.Request, options.Value.MaxRequestBodyBytes, context.RequestAborted);
            if (request.RequestId is { } fromBody)
            {
                requestId = ValidRequestId(fromBody) ?? throw new IngestException(ErrorCodes.InvalidRequest,
                    "request_id must be 1 to 128 letters, digits or . _ : -");
            }
            var callerGaveId = requestId is not null; // only a caller's own id can come back as a retry
            requestId ??= Guid.NewGuid().ToString("N");
            context.Response.Headers[RequestIdHeader] = requestId;
            if (string.IsNullOrWhiteSpace(request.ImageUrl))
            {
                throw new IngestException(ErrorCodes.InvalidRequest, "image_url is required: {\"image_url\": \"https://...\"}");
            }
            var verdict = policy.ValidateUrl(request.ImageUrl);
            var url = verdict.Url ?? throw new IngestException(ErrorCodes.InvalidUrl, verdict.Error ?? "the URL is not valid");
            originHost = url.Host;

            if (!callerGaveId)
            {
                var response = await ingest.RunAsync(url, requestId, measurements, context.RequestAborted);
                logged = ("ok", StatusCodes.Status200OK, null);
                return TypedResults.Ok(response);
            }
            var (answer, replayed) = await records.RunOnceAsync(requestId, url,
                () => ingest.RunAsync(url, requestId, measurements, context.RequestAborted), context.RequestAborted);
            measurements.Key ??= answer.Key;
            logged = (replayed ? "replayed" : "ok", StatusCodes.Status200OK, null);
            return TypedResults.Ok(answer);
        }
        catch (IngestException failure)
        {
            requestId ??= Guid.NewGuid().ToString("N");
            context.Response.Headers[RequestIdHeader] = requestId;
            logged = (failure.Code, failure.Status, failure.InnerException is { } inner ? $"{failure.Message} ({inner.Message})" : failure.Message);
            if (failure.Code == ErrorCodes.RequestInProgress)
            {
                context.Response.Headers.RetryAfter = RetryAfterSeconds;
            }
            return Problems.Result(Problems.Create(failure, requestId));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            logged = ("client_closed", 499, "the caller went away"); // nobody to answer; S3 was cleaned up
            throw;
        }
        finally
        {
            Log.Processed(logger, logged.Status >= 500 ? LogLevel.Warning : LogLevel.Information,
                requestId ?? "-", logged.Outcome, logged.Status, originHost, measurements.Bytes, measurements.DownloadMs,
                measurements.UploadMs, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, measurements.Key, logged.Detail);
        }
    }

    /// <summary>Reads the JSON body, at most <paramref name="limit"/> bytes, whatever its Content-Type (the lab's clients vary).</summary>
    static async Task<ProcessImageRequest> ReadRequestAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        var tooLarge = new IngestException(ErrorCodes.InvalidRequest,
            $"the request body is larger than {limit} bytes", StatusCodes.Status413PayloadTooLarge);
        if (request.ContentLength > limit)
        {
            throw tooLarge;
        }
        var buffer = new byte[limit + 1];
        int length;
        try
        {
            length = await request.Body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        }
        catch (BadHttpRequestException e)
        {
            throw new IngestException(ErrorCodes.InvalidRequest, $"the request body could not be read: {e.Message}");
        }
        if (length > limit)
        {
            throw tooLarge;
        }
        try
        {
            return JsonSerializer.Deserialize(buffer.AsSpan(0, length), HybridIngestJsonContext.Default.ProcessImageRequest)
                ?? throw new IngestException(ErrorCodes.InvalidRequest, "the body must be a JSON object, not null");
        }
        catch (JsonException e)
        {
            throw new IngestException(ErrorCodes.InvalidRequest, $"the body is not the expected JSON object: {e.Message}");
        }
    }

    /// <summary>The caller's <c>X-Request-Id</c> when valid, else a new one; echoed in the response.</summary>
    internal static string AssignRequestId(HttpContext context)
    {
        var requestId = ValidRequestId(context.Request.Headers[RequestIdHeader].ToString()) ?? Guid.NewGuid().ToString("N");
        context.Response.Headers[RequestIdHeader] = requestId;
        return requestId;
    }

    internal static string? ValidRequestId(string? value) => value is { Length: > 0 } && RequestIdPattern().IsMatch(value) ? value : null;

    // Goes into S3 metadata (ASCII headers) and logs, so a conservative alphabet.
    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex RequestIdPattern();

    static async ValueTask RejectOverloadedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var services = context.RequestServices;
        var limit = services.GetRequiredService<IOptions<IngestOptions>>().Value.MaxConcurrentRequests;
        Log.Overloaded(services.GetRequiredService<ILogger<ImageIngest>>(), limit);
        var requestId = AssignRequestId(context);
        context.Response.Headers.RetryAfter = RetryAfterSeconds;
        var problem = Problems.Create(ErrorCodes.Overloaded,
            $"{limit} requests are already in progress; retry after {RetryAfterSeconds} s", requestId);
        await Problems.Result(problem).ExecuteAsync(context);
    }
}
