using System.Diagnostics;
using HybridIngest.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HybridIngest.Server;

/// <summary><c>POST /test-process</c>: the seed lab's smoke test, storing a generated image with no download.</summary>
public static class TestProcessApi
{
    public static IEndpointRouteBuilder MapTestProcessApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/test-process", TestProcess)
            .WithSummary("Store a generated 1x1 PNG in S3 as test/{image_id}.png (no download)")
            .ProducesProblems(500, 502, 503);
        return app;
    }

    /// <summary>
    /// The seed lab's smoke test: stores <see cref="TestImage"/> as <c>test/{image_id}.png</c> through
    /// the same store as a downloaded image, with no outside URL, so it works on a fresh instance
    /// that has no internet egress yet. Answers in the shape of <c>/process-image</c>, with the lab's
    /// message. It takes a slot like <c>/process-image</c> (<see cref="Admission"/>).
    /// </summary>
    static async Task<Results<Ok<ProcessImageResponse>, JsonHttpResult<ErrorResponse>>> TestProcess(
        HttpContext context, ImageStore store, ObjectLocations locations, Admission admission, ILogger<ImageIngest> logger)
    {
        var started = Stopwatch.GetTimestamp();
        var requestId = ImageApi.AssignRequestId(context);
        var imageId = Guid.CreateVersion7().ToString();
        var key = $"test/{imageId}.{ImageFormat.Png.Extension}";
        (string Outcome, int Status, string? Detail)? logged = ("internal_error", 500, "unexpected failure");
        try
        {
            using var slot = await admission.EnterAsync(context.RequestAborted);
            using var work = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, admission.Stopping);
            string sha256;
            try
            {
                sha256 = await store.StoreAsync(key, ImageFormat.Png, TestImage, new Dictionary<string, string> { ["request-id"] = requestId },
                    work.Token);
            }
            catch (Exception e) when (e is not IngestException && !work.IsCancellationRequested)
            {
                throw new IngestException(ErrorCodes.StorageFailed, $"could not store the test image in bucket '{store.Bucket}'", inner: e);
            }
            var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            logged = ("ok", StatusCodes.Status200OK, null);
            return TypedResults.Ok(new ProcessImageResponse
            {
                Message = "Test image processed successfully",
                ImageId = imageId,
                S3Location = locations.HttpsUrl(key),
                S3Uri = locations.S3Uri(key),
                FileSize = TestImage.Length,
                FileExtension = ImageFormat.Png.Extension,
                Timestamp = DateTimeOffset.UtcNow.ToString("O"),
                Bucket = store.Bucket,
                Key = key,
                ContentType = ImageFormat.Png.ContentType,
                Sha256 = sha256,
                DownloadMs = 0,
                UploadMs = elapsed,
                TotalMs = elapsed,
                RequestId = requestId,
            });
        }
        catch (IngestException failure)
        {
            logged = failure.Code == ErrorCodes.Overloaded ? null // counted by Admission
                : (failure.Code, failure.Status, failure.LogDetail);
            return ImageApi.Problem(context, failure, requestId);
        }
        catch (OperationCanceledException) when (admission.Stopping.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            logged = ("shutdown", StatusCodes.Status503ServiceUnavailable, "the drain period ended before the request finished");
            return ImageApi.Problem(context, ImageApi.ShutDown(), requestId);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            logged = ("client_closed", 499, "the caller went away");
            throw;
        }
        finally
        {
            if (logged is { } line)
            {
                Log.TestProcessed(logger, line.Status >= 500 ? LogLevel.Warning : LogLevel.Information, requestId, line.Outcome,
                    line.Status, TestImage.Length, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, key, line.Detail);
            }
        }
    }

    /// <summary>
    /// A valid 1x1 transparent PNG (IHDR RGBA, one zlib-compressed scanline, IEND, each chunk's CRC
    /// right). The lab's own bytes for this are not a valid PNG (wrong CRCs, a truncated IDAT).
    /// </summary>
    public static readonly byte[] TestImage =
    [
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
        0x89, 0x00, 0x00, 0x00, 0x0B, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x60, 0x00, 0x02, 0x00,
        0x00, 0x05, 0x00, 0x01, 0xE9, 0xFA, 0xDC, 0xD8, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44,
        0xAE, 0x42, 0x60, 0x82,
    ];
}
