using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.RegularExpressions;
using HybridIngest.Contracts;
using HybridIngest.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server;

/// <summary><c>POST /process-image</c>: download the image at a URL and store it in S3.</summary>
public static partial class ImageApi
{
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
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IdempotencyRecords>(); // one request_id, one object and one answer
        services.AddHostedService<UploadSweeper>(); // aborts the uploads a crashed server left open
        services.AddSingleton<Admission>();
        services.AddHostedService(services => services.GetRequiredService<Admission>());
        // Read from configuration as it is, not through the validated options: the host's own options are
        // resolved while the app is built, before validation can report a bad setting its own way.
        services.AddOptions<HostOptions>().Configure<IConfiguration>((host, configuration) =>
        {
            if (double.TryParse(configuration[IngestOptions.DrainSetting], CultureInfo.InvariantCulture, out var drain) && drain is >= 0 and <= 3600)
            {
                host.ShutdownTimeout = TimeSpan.FromSeconds(drain) + Admission.StopMargin;
            }
        });
        return services;
    }

    public static IEndpointRouteBuilder MapImageApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/process-image", ProcessImage)
            .WithSummary("Download the image at image_url and store it in S3 as images/{image_id}.{ext}")
            .Accepts<ProcessImageRequest>("application/json")
            .ProducesProblems(400, 403, 408, 409, 413, 422, 500, 502, 503, 504);
        return app;
    }

    /// <summary>
    /// Reads the body (under its own deadline, before taking a slot: a client sending slowly holds no
    /// slot), checks it, waits for a slot (<see cref="Admission"/>), then downloads and stores.
    /// </summary>
    static async Task<Results<Ok<ProcessImageResponse>, JsonHttpResult<ErrorResponse>>> ProcessImage(
        HttpContext context, ImageIngest ingest, IdempotencyRecords records, DestinationPolicy policy, Admission admission,
        IOptions<IngestOptions> options, IngestMetrics metrics, ILogger<ImageIngest> logger)
    {
        var started = Stopwatch.GetTimestamp();
        var requestId = ValidRequestId(context.Request.Headers[ServerHeaders.RequestId].ToString());
        var measurements = new IngestMeasurements();
        string? originHost = null;
        (string Outcome, int Status, string? Detail)? logged = ("internal_error", 500, "unexpected failure");
        try
        {
            var request = await ReadRequestAsync(context.Request, options.Value, context.RequestAborted);
            if (request.RequestId is { } fromBody)
            {
                requestId = ValidRequestId(fromBody) ?? throw new IngestException(ErrorCodes.InvalidRequest,
                    "request_id must be 1 to 128 letters, digits or . _ : -");
            }
            var callerGaveId = requestId is not null; // only a caller's own id can come back as a retry
            requestId ??= Guid.NewGuid().ToString("N");
            context.Response.Headers[ServerHeaders.RequestId] = requestId;
            Activity.Current?.SetTag(TelemetryNames.RequestIdAttribute, requestId); // the request's span
            if (string.IsNullOrWhiteSpace(request.ImageUrl))
            {
                throw new IngestException(ErrorCodes.InvalidRequest, "image_url is required: {\"image_url\": \"https://...\"}");
            }
            var verdict = policy.ValidateUrl(request.ImageUrl);
            var url = verdict.Url ?? throw new IngestException(ErrorCodes.InvalidUrl, verdict.Error ?? "the URL is not valid");
            originHost = url.Host;

            using var slot = await admission.EnterAsync(context.RequestAborted);
            using var work = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, admission.Stopping);
            if (!callerGaveId)
            {
                var response = await ingest.RunAsync(url, requestId, measurements, work.Token);
                logged = ("ok", StatusCodes.Status200OK, null);
                return TypedResults.Ok(response);
            }
            var (answer, replayed) = await records.RunOnceAsync(requestId, url,
                () => ingest.RunAsync(url, requestId, measurements, work.Token), work.Token);
            measurements.Key ??= answer.Key;
            logged = (replayed ? "replayed" : "ok", StatusCodes.Status200OK, null);
            return TypedResults.Ok(answer);
        }
        catch (IngestException failure)
        {
            requestId ??= Guid.NewGuid().ToString("N");
            context.Response.Headers[ServerHeaders.RequestId] = requestId;
            Activity.Current?.SetTag(TelemetryNames.RequestIdAttribute, requestId);
            ServerTelemetry.RecordFailure(failure.Code);
            // Refusals are counted by Admission, not logged one line each.
            logged = failure.Code == ErrorCodes.Overloaded ? null
                : (failure.Code, failure.Status, failure.LogDetail);
            return Problem(context, failure, requestId);
        }
        catch (OperationCanceledException) when (admission.Stopping.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            logged = ("shutdown", StatusCodes.Status503ServiceUnavailable, "the drain period ended before the request finished");
            return Problem(context, ShutDown(), requestId!);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            logged = ("client_closed", 499, "the caller went away"); // nobody to answer; S3 was cleaned up
            throw;
        }
        finally
        {
            if (logged is { } line)
            {
                var totalMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                Log.Processed(logger, line.Status >= 500 ? LogLevel.Warning : LogLevel.Information,
                    requestId ?? "-", line.Outcome, line.Status, originHost, measurements.Bytes, measurements.DownloadMs,
                    measurements.UploadMs, totalMs, measurements.Key, line.Detail);
                metrics.Processed(line.Outcome, measurements, totalMs, admission.Status().InProgress);
            }
        }
    }

    /// <summary>The answer to a request cut at the end of the drain period (<see cref="Admission.Stopping"/>).</summary>
    internal static IngestException ShutDown() => new(ErrorCodes.Overloaded,
        $"the server shut down before the request finished; retry after {Admission.RetryAfterSeconds} s");

    /// <summary>
    /// The problem answer; an <c>overloaded</c> or <c>request_in_progress</c> one says when to come
    /// back, and an <c>overloaded</c> one closes the connection while draining.
    /// </summary>
    internal static JsonHttpResult<ErrorResponse> Problem(HttpContext context, IngestException failure, string requestId)
    {
        if (failure.Code == ErrorCodes.RequestInProgress)
        {
            context.Response.Headers.RetryAfter = Admission.RetryAfterSeconds;
        }
        if (failure.Code == ErrorCodes.Overloaded)
        {
            context.Response.Headers.RetryAfter = Admission.RetryAfterSeconds;
            if (context.RequestServices.GetRequiredService<Admission>().Draining)
            {
                context.Response.Headers.Connection = "close"; // the client's next request goes to another server
            }
        }
        return Problems.Result(Problems.Create(failure, requestId));
    }

    /// <summary>
    /// Reads the JSON body, at most INGEST_MAX_REQUEST_BODY_BYTES, whatever its Content-Type (the lab's
    /// clients vary), within INGEST_REQUEST_BODY_TIMEOUT_SECONDS. The deadline cancels the pending read
    /// (not the request), which leaves Kestrel's body reader usable for draining what is left.
    /// </summary>
    static async Task<ProcessImageRequest> ReadRequestAsync(HttpRequest request, IngestOptions options, CancellationToken requestAborted)
    {
        var limit = options.MaxRequestBodyBytes;
        var tooLarge = new IngestException(ErrorCodes.InvalidRequest,
            $"the request body is larger than {limit} bytes", StatusCodes.Status413PayloadTooLarge);
        if (request.ContentLength > limit)
        {
            throw tooLarge;
        }
        var tooSlow = new IngestException(ErrorCodes.InvalidRequest,
            $"the request body did not arrive within {options.RequestBodyTimeoutSeconds} s", StatusCodes.Status408RequestTimeout);
        var reader = request.BodyReader;
        using var deadline = new CancellationTokenSource(options.RequestBodyTimeout);
        using var onDeadline = deadline.Token.Register(reader.CancelPendingRead);
        while (true)
        {
            ReadResult read;
            try
            {
                read = await reader.ReadAsync(requestAborted);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status408RequestTimeout)
            {
                throw tooSlow; // Kestrel's own minimum data rate cut it first
            }
            catch (BadHttpRequestException e)
            {
                throw new IngestException(ErrorCodes.InvalidRequest, $"the request body could not be read: {e.Message}");
            }
            var body = read.Buffer;
            if (read.IsCanceled)
            {
                reader.AdvanceTo(body.Start);
                request.HttpContext.Response.Headers.Connection = "close"; // the rest is not worth waiting for
                throw tooSlow;
            }
            if (body.Length > limit)
            {
                reader.AdvanceTo(body.Start);
                throw tooLarge;
            }
            if (!read.IsCompleted)
            {
                reader.AdvanceTo(body.Start, body.End); // nothing consumed yet: wait for more
                continue;
            }
            try
            {
                return JsonSerializer.Deserialize(body.ToArray(), HybridIngestJsonContext.Default.ProcessImageRequest)
                    ?? throw new IngestException(ErrorCodes.InvalidRequest, "the body must be a JSON object, not null");
            }
            catch (JsonException e)
            {
                throw new IngestException(ErrorCodes.InvalidRequest, $"the body is not the expected JSON object: {e.Message}");
            }
            finally
            {
                reader.AdvanceTo(body.End);
            }
        }
    }

    /// <summary>The caller's <c>X-Request-Id</c> when valid, else a new one; echoed in the response.</summary>
    internal static string AssignRequestId(HttpContext context)
    {
        var requestId = ValidRequestId(context.Request.Headers[ServerHeaders.RequestId].ToString()) ?? Guid.NewGuid().ToString("N");
        context.Response.Headers[ServerHeaders.RequestId] = requestId;
        return requestId;
    }

    internal static string? ValidRequestId(string? value) => value is { Length: > 0 } && RequestIdPattern().IsMatch(value) ? value : null;

    // Goes into S3 metadata (ASCII headers) and logs, so a conservative alphabet.
    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex RequestIdPattern();
}
