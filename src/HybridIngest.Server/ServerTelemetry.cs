using System.Diagnostics;
using System.Diagnostics.Metrics;
using HybridIngest.Contracts;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace HybridIngest.Server;

/// <summary>
/// Traces and OTLP metrics, configured only by the standard <c>OTEL_*</c> variables, and on only when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set: with it unset no SDK is registered, nothing listens to
/// <see cref="Source"/>, and a span costs one null check. The request span (ASP.NET Core's,
/// continuing the caller's <c>traceparent</c>) has two children of ours: <c>download</c> (events
/// <c>connected</c> and <c>first_byte</c>; it ends with the last byte of the body) and
/// <c>s3.put_object</c>, which overlap since the download streams into the upload; the HTTP client
/// calls under them are the SDK's. Every span carries the request id.
/// </summary>
public static class ServerTelemetry
{
    public const string SourceName = "HybridIngest.Server";
    public const string DefaultServiceName = "hybrid-ingest-server";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The download span, handed to the connect callback through the request's options.</summary>
    public static readonly HttpRequestOptionsKey<Activity> DownloadSpan = new("HybridIngest.DownloadSpan");

    public static bool IsEnabled(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[TelemetryNames.OtlpEndpoint])
        && !string.Equals(configuration[TelemetryNames.SdkDisabled], "true", StringComparison.OrdinalIgnoreCase);

    public static IServiceCollection AddServerTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(services => new IngestMetrics(services.GetRequiredService<IMeterFactory>(),
            services.GetRequiredService<IOptions<IngestOptions>>(), Console.Out));
        if (!IsEnabled(configuration))
        {
            return services;
        }
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(configuration[TelemetryNames.ServiceName] is { Length: > 0 } name ? name : DefaultServiceName))
            .WithTracing(tracing => tracing
                .AddSource(SourceName)
                // Load balancer health checks would be most of the spans and say nothing.
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context =>
                    context.Request.Path != "/health" && context.Request.Path != "/ready")
                .AddHttpClientInstrumentation(http => http.EnrichWithHttpRequestMessage = (activity, _) =>
                    activity.SetTag(TelemetryNames.RequestIdAttribute, activity.Parent?.GetTagItem(TelemetryNames.RequestIdAttribute))))
            .WithMetrics(metrics => metrics
                .AddMeter(IngestMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation())
            .UseOtlpExporter();
        return services;
    }

    /// <summary>Starts a span of ours under the current one, tagged with the request id (null when nothing listens).</summary>
    public static Activity? StartSpan(string name, string requestId) =>
        Source.StartActivity(name)?.SetTag(TelemetryNames.RequestIdAttribute, requestId);

    /// <summary>Marks the current span (the request's, in the handler) failed with the error code.</summary>
    public static void RecordFailure(string code)
    {
        Activity.Current?.SetStatus(ActivityStatusCode.Error, code);
        Activity.Current?.SetTag("error.type", code);
    }
}
