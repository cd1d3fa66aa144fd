using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net.Http.Headers;
using System.Text;
using HybridIngest.Contracts;

namespace HybridIngest.Function;

/// <summary>
/// Where the function's spans go: <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>, else
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> + <c>/v1/traces</c>, over OTLP/HTTP protobuf (the only protocol
/// the function speaks), with <c>OTEL_EXPORTER_OTLP_HEADERS</c> and <c>OTEL_SERVICE_NAME</c>.
/// </summary>
sealed record OtlpSettings(Uri TracesEndpoint, IReadOnlyList<(string Name, string Value)> Headers, string ServiceName)
{
    public const string DefaultServiceName = "hybrid-ingest-function";

    /// <summary>Null settings (no export) when no endpoint is set; false with a problem for a bad value.</summary>
    public static bool TryLoad(Func<string, string?> getVariable, out OtlpSettings? settings, [NotNullWhen(false)] out string? problem)
    {
        settings = null;
        problem = null;
        var traces = getVariable(TelemetryNames.OtlpTracesEndpoint);
        var endpoint = string.IsNullOrWhiteSpace(traces) ? getVariable(TelemetryNames.OtlpEndpoint) : null;
        if ((string.IsNullOrWhiteSpace(traces) && string.IsNullOrWhiteSpace(endpoint))
            || string.Equals(getVariable(TelemetryNames.SdkDisabled), "true", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        var name = traces is { Length: > 0 } ? TelemetryNames.OtlpTracesEndpoint : TelemetryNames.OtlpEndpoint;
        var value = traces is { Length: > 0 } ? traces : endpoint!.TrimEnd('/') + "/v1/traces";
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            problem = $"{name} '{traces ?? endpoint}' is not an absolute http(s) URL, e.g. http://127.0.0.1:4318.";
            return false;
        }
        if (getVariable(TelemetryNames.OtlpProtocol) is { Length: > 0 } protocol && protocol != "http/protobuf")
        {
            problem = $"{TelemetryNames.OtlpProtocol} is '{protocol}': the function exports only http/protobuf (unset it or set http/protobuf, and point the endpoint at the collector's OTLP/HTTP port, usually 4318).";
            return false;
        }
        var headers = new List<(string, string)>();
        foreach (var pair in (getVariable(TelemetryNames.OtlpHeaders) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (pair.Split('=', 2) is not [{ Length: > 0 } key, var headerValue])
            {
                problem = $"{TelemetryNames.OtlpHeaders} has '{pair}', not name=value (pairs separated by commas).";
                return false;
            }
            headers.Add((key.Trim(), Uri.UnescapeDataString(headerValue.Trim())));
        }
        settings = new OtlpSettings(uri, headers, getVariable(TelemetryNames.ServiceName) is { Length: > 0 } service ? service : DefaultServiceName);
        return true;
    }
}

/// <summary>
/// Sends the function's span as one OTLP/HTTP protobuf request, written by hand (a few fields of
/// <c>opentelemetry/proto/trace/v1</c>) rather than with the OpenTelemetry SDK, which the Native AOT
/// bootstrap would have to carry and start on every cold start (docs/observability.md has the numbers).
/// </summary>
sealed class OtlpExporter(HttpClient http, OtlpSettings settings)
{
    /// <summary>Exporting happens after the answer is sent, but Lambda bills until the next <c>next</c>: keep it short.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task ExportAsync(FunctionSpan span, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, settings.TracesEndpoint) { Content = new ByteArrayContent(Encode(span)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        foreach (var (name, value) in settings.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var response = await http.SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                JsonLog.Error($"The OTLP endpoint {settings.TracesEndpoint} answered {(int)response.StatusCode}; the span is dropped.", span.RequestId);
            }
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            JsonLog.Error($"Could not export the span to {settings.TracesEndpoint}: {e.Message}", span.RequestId);
        }
    }

    /// <summary>An ExportTraceServiceRequest holding one resource, one scope and <paramref name="span"/>.</summary>
    byte[] Encode(FunctionSpan span)
    {
        var spanMessage = new Proto()
            .Bytes(1, Id(span.Trace.TraceId.ToHexString()))
            .Bytes(2, Id(span.Trace.SpanId.ToHexString()))
            .Bytes(4, span.Trace.ParentSpanId is { } parent ? Id(parent.ToHexString()) : [])
            .String(5, span.Name)
            .Varint(6, 2) // SPAN_KIND_SERVER: the invocation, as Lambda's own spans call it
            .Fixed64(7, UnixNanos(span.Start))
            .Fixed64(8, UnixNanos(span.Start + span.Duration))
            .Message(9, Attribute(TelemetryNames.RequestIdAttribute, span.RequestId))
            .Message(9, Attribute("faas.invocation_id", span.RequestId))
            .Message(9, new Proto().String(1, "http.response.status_code").Message(2, new Proto().Varint(3, (ulong)span.StatusCode)));
        if (span.ErrorCode is { } code)
        {
            spanMessage.Message(9, Attribute("error.type", code)).Message(15, new Proto().String(2, code).Varint(3, 2)); // STATUS_CODE_ERROR
        }
        var resource = new Proto()
            .Message(1, Attribute("service.name", settings.ServiceName))
            .Message(1, Attribute("cloud.provider", "aws"))
            .Message(1, Attribute("faas.name", Environment.GetEnvironmentVariable(LambdaEnvironmentVariables.FunctionName) ?? ""));
        var scopeSpans = new Proto().Message(1, new Proto().String(1, "HybridIngest.Function")).Message(2, spanMessage);
        return new Proto().Message(1, new Proto().Message(1, resource).Message(2, scopeSpans)).ToArray();
    }

    static Proto Attribute(string key, string value) => new Proto().String(1, key).Message(2, new Proto().String(1, value));

    static byte[] Id(string hex) => Convert.FromHexString(hex);

    static ulong UnixNanos(DateTimeOffset time) => (ulong)(time - DateTimeOffset.UnixEpoch).Ticks * 100;

    /// <summary>The protobuf wire format, the few field kinds OTLP's span needs.</summary>
    sealed class Proto
    {
        readonly ArrayBufferWriter<byte> _buffer = new(256);

        public Proto Varint(int field, ulong value) => Tag(field, 0).Raw(value);

        public Proto Fixed64(int field, ulong value)
        {
            Tag(field, 1);
            BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
            _buffer.Advance(8);
            return this;
        }

        public Proto Bytes(int field, ReadOnlySpan<byte> value)
        {
            if (value.IsEmpty)
            {
                return this; // proto3: an empty field is an absent one
            }
            Tag(field, 2).Raw((ulong)value.Length);
            _buffer.Write(value);
            return this;
        }

        public Proto String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public Proto Message(int field, Proto message)
        {
            Tag(field, 2).Raw((ulong)message._buffer.WrittenCount);
            _buffer.Write(message._buffer.WrittenSpan);
            return this;
        }

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

        Proto Tag(int field, int wireType) => Raw((ulong)((field << 3) | wireType));

        Proto Raw(ulong value)
        {
            for (; value >= 0x80; value >>= 7)
            {
                _buffer.Write([(byte)(value | 0x80)]);
            }
            _buffer.Write([(byte)value]);
            return this;
        }
    }
}
