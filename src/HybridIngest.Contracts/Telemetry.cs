using System.Text.Json;

namespace HybridIngest.Contracts;

/// <summary>Names the function's and the server's traces share, and the OpenTelemetry settings both read.</summary>
public static class TelemetryNames
{
    /// <summary>The span attribute that carries the Lambda request id (the server's <c>X-Request-Id</c>) on every span.</summary>
    public const string RequestIdAttribute = "hybrid_ingest.request_id";

    /// <summary>W3C trace context: the function sends it to the server.</summary>
    public const string TraceParentHeader = "traceparent";

    /// <summary>Tracing (and the server's OTLP metrics) are on only when this is set.</summary>
    public const string OtlpEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string OtlpTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    public const string OtlpProtocol = "OTEL_EXPORTER_OTLP_PROTOCOL";
    public const string OtlpHeaders = "OTEL_EXPORTER_OTLP_HEADERS";
    public const string ServiceName = "OTEL_SERVICE_NAME";
    public const string SdkDisabled = "OTEL_SDK_DISABLED";
}

/// <summary>A metric in a CloudWatch Embedded Metric Format directive: its member name and CloudWatch unit.</summary>
public sealed record EmfMetric(string Name, string Unit);

/// <summary>One entry of <c>_aws.CloudWatchMetrics</c>: dimension sets (member names) and the metrics they apply to.</summary>
public sealed record EmfDirective(string[][] Dimensions, EmfMetric[] Metrics);

/// <summary>
/// CloudWatch Embedded Metric Format: a JSON log line with an <c>_aws</c> block becomes CloudWatch
/// metrics when CloudWatch Logs ingests it (Lambda's log, or the agent shipping the server's log),
/// with no agent listener and no API call on the hot path. The metric values and dimension values
/// are the line's own members, written by the caller.
/// </summary>
public static class EmbeddedMetrics
{
    /// <summary>The CloudWatch namespace of every metric the function and the server emit.</summary>
    public const string Namespace = "HybridIngest";

    /// <summary>Writes the <c>_aws</c> member into the object <paramref name="writer"/> is in.</summary>
    public static void WriteMetadata(Utf8JsonWriter writer, DateTimeOffset timestamp, params EmfDirective[] directives)
    {
        writer.WriteStartObject("_aws");
        writer.WriteNumber("Timestamp", timestamp.ToUnixTimeMilliseconds());
        writer.WriteStartArray("CloudWatchMetrics");
        foreach (var directive in directives)
        {
            writer.WriteStartObject();
            writer.WriteString("Namespace", Namespace);
            writer.WriteStartArray("Dimensions");
            foreach (var set in directive.Dimensions)
            {
                writer.WriteStartArray();
                foreach (var dimension in set)
                {
                    writer.WriteStringValue(dimension);
                }
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
            writer.WriteStartArray("Metrics");
            foreach (var metric in directive.Metrics)
            {
                writer.WriteStartObject();
                writer.WriteString("Name", metric.Name);
                writer.WriteString("Unit", metric.Unit);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
