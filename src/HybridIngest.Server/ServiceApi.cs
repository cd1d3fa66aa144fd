using System.Globalization;
using System.Reflection;
using HybridIngest.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

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
        ["GET /ready"] = "the S3 bucket is reachable (503 otherwise)",
        ["GET /"] = "this description",
    };

    public static IEndpointRouteBuilder MapServiceApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => TypedResults.Ok(new ServiceInfo(ServiceName, Version, Endpoints)));
        app.MapGet("/health", (ImageStore store) => TypedResults.Ok(new HealthResponse("healthy", ServiceName, Version, store.Bucket, Timestamp: Now())));
        app.MapGet("/ready", Ready);
        return app;
    }

    static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> Ready(ImageStore store, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(5));
        if (await store.CheckBucketAsync(deadline.Token) is { } problem)
        {
            return TypedResults.Json(new HealthResponse("unavailable", ServiceName, Version, store.Bucket, problem, Now()),
                HybridIngestJsonContext.Default.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        return TypedResults.Ok(new HealthResponse("ready", ServiceName, Version, store.Bucket, Timestamp: Now()));
    }

    static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
}
