using System.Diagnostics;
using HybridIngest.Contracts;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server;

/// <summary>What one request measured, for its log line, whether it succeeded or not.</summary>
public sealed class IngestMeasurements
{
    public long Bytes { get; set; }
    public long DownloadMs { get; set; }
    public long UploadMs { get; set; }
    public string? Key { get; set; }
}

/// <summary>
/// One image from URL to S3: open the origin's answer, check the announced size, sniff the format
/// from the first bytes, then stream the rest into <see cref="ImageStore"/>. The whole download,
/// connect to last byte, runs under one deadline. Every failure comes out as an
/// <see cref="IngestException"/>, except the caller going away.
/// </summary>
public sealed class ImageIngest(ImageDownloader downloader, ImageStore store, ObjectLocations locations, IOptions<IngestOptions> options)
{
    /// <summary>Where images go: <c>images/{image_id}.{ext}</c>, the image id a UUIDv7 (time-ordered).</summary>
    public const string KeyPrefix = "images/";

    public async Task<ProcessImageResponse> RunAsync(Uri url, string requestId, IngestMeasurements measurements,
        CancellationToken requestAborted)
    {
        var settings = options.Value;
        var started = Stopwatch.GetTimestamp();
        using var downloadSpan = ServerTelemetry.StartSpan("download", requestId)
            ?.SetTag("url.full", LoggedUrls.WithoutSecrets(url)).SetTag("server.address", url.Host);
        using var deadline = new CancellationTokenSource(settings.DownloadTimeout);
        using var download = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, requestAborted);
        DownloadStream? body = null;
        Activity? storeSpan = null;
        var storing = false;
        try
        {
            using var response = await downloader.OpenAsync(url, download.Token);
            downloadSpan?.AddEvent(new ActivityEvent("first_byte"));
            var length = response.Content.Headers.ContentLength;
            if (length > settings.MaxImageBytes)
            {
                throw new IngestException(ErrorCodes.TooLarge,
                    $"the origin announced {length} bytes; the limit is {settings.MaxImageBytes} bytes");
            }
            body = new DownloadStream(await response.Content.ReadAsStreamAsync(download.Token), length,
                settings.MaxImageBytes, download.Token);
            var header = await body.ReadHeaderAsync(ImageFormat.HeaderLength);
            var format = ImageFormat.Sniff(header.Span) ?? throw new IngestException(ErrorCodes.NotAnImage,
                $"the body is not a JPEG, PNG, GIF or WebP image (by its first bytes; the origin's Content-Type: " +
                $"{response.Content.Headers.ContentType?.MediaType ?? "none"})");

            var imageId = Guid.CreateVersion7().ToString();
            var key = $"{KeyPrefix}{imageId}.{format.Extension}";
            var sourceUrl = AsciiUrl(url);
            var metadata = new Dictionary<string, string>
            {
                // S3 allows 2 KiB of user metadata in all; URLs are at most 2 KiB, so keep room for the rest.
                ["source-url"] = sourceUrl.Length <= 1800 ? sourceUrl : sourceUrl[..1800],
                ["request-id"] = requestId,
            };
            var uploadStarted = Stopwatch.GetTimestamp();
            storing = true;
            // The S3 write is the request's child, beside the download that streams into it.
            Activity.Current = downloadSpan?.Parent ?? Activity.Current;
            storeSpan = ServerTelemetry.StartSpan("s3.put_object", requestId)
                ?.SetTag("aws.s3.bucket", store.Bucket).SetTag("aws.s3.key", key);
            var sha256 = await store.StoreAsync(key, format, body, length, metadata, requestAborted);
            var finished = Stopwatch.GetTimestamp();
            Record(measurements, body, started);
            measurements.Key = key;
            measurements.UploadMs = (long)Stopwatch.GetElapsedTime(uploadStarted, finished).TotalMilliseconds;

            return new ProcessImageResponse
            {
                ImageId = imageId,
                S3Location = locations.HttpsUrl(key),
                S3Uri = locations.S3Uri(key),
                FileSize = body.BytesRead,
                FileExtension = format.Extension,
                Timestamp = DateTimeOffset.UtcNow.ToString("O"),
                Bucket = store.Bucket,
                Key = key,
                ContentType = format.ContentType,
                Sha256 = sha256,
                DownloadMs = measurements.DownloadMs,
                UploadMs = measurements.UploadMs,
                TotalMs = (long)Stopwatch.GetElapsedTime(started, finished).TotalMilliseconds,
                RequestId = requestId,
            };
        }
        catch (Exception e) when (!requestAborted.IsCancellationRequested)
        {
            // The deadline is the download's: once the last byte is in, a late S3 failure is S3's.
            var failure = Classify(e, body, deadline.IsCancellationRequested && body is not { FinishedAt: > 0 }, storing);
            (failure.Code == ErrorCodes.StorageFailed ? storeSpan : downloadSpan)?.SetStatus(ActivityStatusCode.Error, failure.Code);
            throw failure;
        }
        finally
        {
            storeSpan?.Dispose();
            Record(measurements, body, started);
            if (downloadSpan is not null && body is { FinishedAt: > 0 })
            {
                downloadSpan.AddTag("http.response.body.size", body.BytesRead);
                downloadSpan.SetEndTime(downloadSpan.StartTimeUtc + Stopwatch.GetElapsedTime(started, body.FinishedAt));
            }
            body?.Dispose();
        }
    }

    /// <summary>The URL as fetched, host in punycode: metadata travels in HTTP headers, which are ASCII.</summary>
    static string AsciiUrl(Uri url)
    {
        var host = url.HostNameType == UriHostNameType.IPv6 ? url.Host : url.IdnHost;
        return $"{url.Scheme}://{host}{(url.IsDefaultPort ? "" : $":{url.Port}")}{url.PathAndQuery}";
    }

    static void Record(IngestMeasurements measurements, DownloadStream? body, long started)
    {
        measurements.Bytes = body?.BytesRead ?? 0;
        if (body is { FinishedAt: > 0 })
        {
            measurements.DownloadMs = (long)Stopwatch.GetElapsedTime(started, body.FinishedAt).TotalMilliseconds;
        }
    }

    /// <summary>
    /// Names a failure by where it happened. The S3 SDK may wrap what the download stream throws, so
    /// the stream's own record of an origin failure, and the deadline, count before the exception.
    /// </summary>
    IngestException Classify(Exception e, DownloadStream? body, bool timedOut, bool storing)
    {
        if (body?.OriginFailure is IngestException limit)
        {
            return limit;
        }
        if (timedOut)
        {
            return new IngestException(ErrorCodes.OriginTimeout,
                $"the download did not finish within {options.Value.DownloadTimeoutSeconds} s ({body?.BytesRead ?? 0} bytes received)");
        }
        if (e is IngestException known)
        {
            return known;
        }
        if (body?.OriginFailure is { } transport)
        {
            return new IngestException(ErrorCodes.DownloadFailed,
                $"the connection to the origin failed after {body.BytesRead} bytes: {transport.Message}", inner: transport);
        }
        return storing
            ? new IngestException(ErrorCodes.StorageFailed, $"could not store the image in bucket '{store.Bucket}'", inner: e)
            : new IngestException(ErrorCodes.DownloadFailed, $"could not download the image: {e.Message}", inner: e);
    }
}
