using System.Buffers;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using HybridIngest.Contracts;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server;

/// <summary>
/// The server's metrics, two ways from one call: OpenTelemetry instruments (exported over OTLP when
/// <see cref="ServerTelemetry"/> is on, free otherwise) and a CloudWatch Embedded Metric Format line
/// on stdout, which the CloudWatch agent ships with the log, per <c>/process-image</c> request and per
/// logged refusal (<see cref="Admission"/> logs refusals in bursts, so their line carries a count).
/// </summary>
public sealed class IngestMetrics
{
    public const string MeterName = "HybridIngest.Server";

    /// <summary>Per request: by outcome (<c>ok</c>, <c>replayed</c> or an error code) and bucket.</summary>
    static readonly EmfDirective Requests = new([["bucket", "outcome"]], [new("requests", "Count")]);

    static readonly EmfDirective Measures = new([["bucket"]],
    [
        new("bytes", "Bytes"), new("download_ms", "Milliseconds"), new("upload_ms", "Milliseconds"),
        new("total_ms", "Milliseconds"), new("in_flight", "Count"),
    ]);

    static readonly EmfDirective Refusals = new([["bucket"]], [new("overloaded", "Count")]);

    readonly IOptions<IngestOptions> _options; // read on first use: Admission (a hosted service) is built before validation
    readonly TextWriter _output;
    readonly Counter<long> _requests;
    readonly Counter<long> _bytes;
    readonly Histogram<long> _download;
    readonly Histogram<long> _upload;
    readonly Counter<long> _overloaded;

    public IngestMetrics(IMeterFactory meters, IOptions<IngestOptions> options, TextWriter output)
    {
        _options = options;
        _output = output;
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("hybrid_ingest.requests", "{request}", "Requests to /process-image, by outcome");
        _bytes = meter.CreateCounter<long>("hybrid_ingest.bytes", "By", "Image bytes downloaded");
        _download = meter.CreateHistogram<long>("hybrid_ingest.download.duration", "ms", "From the first connect to the last byte");
        _upload = meter.CreateHistogram<long>("hybrid_ingest.upload.duration", "ms", "The S3 write, from its start to S3's answer");
        _overloaded = meter.CreateCounter<long>("hybrid_ingest.overloaded", "{request}", "Requests refused 503 overloaded");
        Meter = meter;
    }

    /// <summary>Where <see cref="Admission"/> adds its in-flight gauge.</summary>
    public Meter Meter { get; }

    public void Refused() => _overloaded.Add(1);

    public void Processed(string outcome, IngestMeasurements measured, long totalMs, int inFlight)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        _requests.Add(1, tag);
        _bytes.Add(measured.Bytes);
        if (measured.DownloadMs > 0)
        {
            _download.Record(measured.DownloadMs, tag);
        }
        if (measured.UploadMs > 0)
        {
            _upload.Record(measured.UploadMs, tag);
        }
        Write(writer =>
        {
            EmbeddedMetrics.WriteMetadata(writer, DateTimeOffset.UtcNow, Requests, Measures);
            writer.WriteString("outcome", outcome);
            writer.WriteNumber("requests", 1);
            writer.WriteNumber("bytes", measured.Bytes);
            writer.WriteNumber("download_ms", measured.DownloadMs);
            writer.WriteNumber("upload_ms", measured.UploadMs);
            writer.WriteNumber("total_ms", totalMs);
            writer.WriteNumber("in_flight", inFlight);
        });
    }

    /// <summary>The refusals <see cref="Admission"/> logged in one line (the first alone, then a count per interval).</summary>
    public void RefusalsLogged(long count) => Write(writer =>
    {
        EmbeddedMetrics.WriteMetadata(writer, DateTimeOffset.UtcNow, Refusals);
        writer.WriteNumber("overloaded", count);
    });

    void Write(Action<Utf8JsonWriter> members)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            members(writer);
            writer.WriteString("bucket", _options.Value.Bucket);
            writer.WriteEndObject();
        }
        // One Write of the whole line: the console logger writes through the same synchronized writer.
        _output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n");
    }
}
