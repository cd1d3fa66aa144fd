using System.Globalization;
using System.Reflection;
using HybridIngest.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server;

/// <summary><c>GET /</c>, <c>GET /health</c> (the process serves) and <c>GET /ready</c> (the bucket answers too).</summary>
public static class ServiceApi
{
    public const string ServiceName = "hybrid-ingest-server";

    static readonly string Version = typeof(ServiceApi).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    static readonly Dictionary<string, string> Endpoints = new()
    {
        ["POST /process-image"] = "download the image at image_url and store it in S3 as images/{image_id}.{ext}",
        ["POST /test-process"] = "store a generated 1x1 PNG in S3 as test/{image_id}.png (no download: checks the S3 path alone)",
        ["GET /health"] = "the process is up",
        ["GET /ready"] = "the S3 bucket is reachable and the server is not draining (503 otherwise), with the admission state",
        ["GET /"] = "this description",
    };

    public static IEndpointRouteBuilder MapServiceApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => TypedResults.Ok(new ServiceInfo(ServiceName, Version, Endpoints)));
        app.MapGet("/health", (ImageStore store) => TypedResults.Ok(new HealthResponse("healthy", ServiceName, Version, store.Bucket, Timestamp: Now())));
        app.MapGet("/ready", Ready);
        return app;
    }

    /// <summary>
    /// 503 while the server drains (SIGTERM) or while the bucket does not answer HeadBucket within one S3
    /// attempt's timeout: a load balancer polling it takes the instance out while S3 fails and puts it
    /// back once S3 answers again. Both answers carry the admission state.
    /// </summary>
    static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> Ready(ImageStore store, Admission admission,
        IOptions<IngestOptions> options, CancellationToken cancellationToken)
    {
        string? problem;
        if (admission.Draining)
        {
            problem = "the server is draining (shutting down)";
        }
        else
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(options.Value.S3AttemptTimeout);
            problem = await store.CheckBucketAsync(deadline.Token);
        }
        var status = admission.Status();
        if (problem is not null)
        {
            return TypedResults.Json(new HealthResponse("unavailable", ServiceName, Version, store.Bucket, problem, Now(), status),
                HybridIngestJsonContext.Default.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        return TypedResults.Ok(new HealthResponse("ready", ServiceName, Version, store.Bucket, Timestamp: Now(), Admission: status));
    }

    static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
}
