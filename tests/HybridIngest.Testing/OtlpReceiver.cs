using System.Buffers.Binary;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace HybridIngest.Testing;

/// <summary>A span as an OTLP collector receives it: ids in hex, string and integer attributes as strings.</summary>
public sealed record ReceivedSpan(string Service, string TraceId, string SpanId, string? ParentSpanId, string Name,
    IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<string> Events);

/// <summary>
/// An OTLP/HTTP protobuf collector on a loopback port: keeps the spans posted to <c>/v1/traces</c>
/// (decoded from the wire format, the fields of <c>opentelemetry/proto/trace/v1</c> a test looks at)
/// and accepts metrics and logs without keeping them.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly Lock _lock = new();
    readonly List<ReceivedSpan> _spans = [];
    readonly List<(Func<IReadOnlyList<ReceivedSpan>, bool> Done, TaskCompletionSource Seen)> _waiters = [];

    OtlpReceiver(WebApplication app) => _app = app;

    public Uri Endpoint => new(_app.Urls.Single());

    public IReadOnlyList<ReceivedSpan> Spans
    {
        get
        {
            lock (_lock)
            {
                return [.. _spans];
            }
        }
    }

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            receiver.Add(Decode(body.ToArray()));
            return Results.Bytes([], "application/x-protobuf");
        });
        app.MapPost("/v1/{signal}", () => Results.Bytes([], "application/x-protobuf"));
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Completes once the spans received so far satisfy <paramref name="done"/>.</summary>
    public Task WaitForAsync(Func<IReadOnlyList<ReceivedSpan>, bool> done)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (done(_spans))
            {
                return Task.CompletedTask;
            }
            _waiters.Add((done, seen));
        }
        return seen.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    void Add(IEnumerable<ReceivedSpan> spans)
    {
        lock (_lock)
        {
            _spans.AddRange(spans);
            foreach (var waiter in _waiters.Where(w => w.Done(_spans)).ToList())
            {
                waiter.Seen.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    /// <summary>ExportTraceServiceRequest → ResourceSpans(1: resource, 2: scope spans) → ScopeSpans(2: spans).</summary>
    static IEnumerable<ReceivedSpan> Decode(byte[] request)
    {
        foreach (var resourceSpans in Fields(request).Where(f => f.Number == 1))
        {
            var fields = Fields(resourceSpans.Bytes).ToList();
            var resource = fields.Where(f => f.Number == 1).SelectMany(f => Attributes(Fields(f.Bytes), 1)).ToDictionary();
            foreach (var span in fields.Where(f => f.Number == 2).SelectMany(scope => Fields(scope.Bytes)).Where(f => f.Number == 2))
            {
                var spanFields = Fields(span.Bytes).ToList();
                string? Hex(int number) => spanFields.FirstOrDefault(f => f.Number == number)?.Bytes is { Length: > 0 } id ? Convert.ToHexStringLower(id) : null;
                yield return new ReceivedSpan(resource.GetValueOrDefault("service.name", ""), Hex(1)!, Hex(2)!, Hex(4),
                    Encoding.UTF8.GetString(spanFields.Single(f => f.Number == 5).Bytes), Attributes(spanFields, 9).ToDictionary(),
                    [.. spanFields.Where(f => f.Number == 11).Select(e => Encoding.UTF8.GetString(Fields(e.Bytes).Single(f => f.Number == 2).Bytes))]);
            }
        }
    }

    /// <summary>The KeyValue fields (<paramref name="number"/>: 9 in a span, 1 in a resource) with a string or integer value.</summary>
    static IEnumerable<KeyValuePair<string, string>> Attributes(IEnumerable<Field> fields, int number)
    {
        foreach (var field in fields.Where(f => f.Number == number))
        {
            var keyValue = Fields(field.Bytes).ToList();
            if (keyValue.FirstOrDefault(f => f.Number == 1) is not { } key || keyValue.FirstOrDefault(f => f.Number == 2) is not { } value)
            {
                continue;
            }
            var any = Fields(value.Bytes).FirstOrDefault();
            var text = any?.Number switch
            {
                1 => Encoding.UTF8.GetString(any.Bytes),
                3 => any.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => null,
            };
            if (text is not null)
            {
                yield return new(Encoding.UTF8.GetString(key.Bytes), text);
            }
        }
    }

    sealed record Field(int Number, ulong Value, byte[] Bytes);

    /// <summary>The protobuf wire format: a tag (field number, wire type) then a varint, fixed64, length-delimited or fixed32 value.</summary>
    static IEnumerable<Field> Fields(byte[] message)
    {
        var fields = new List<Field>();
        for (var position = 0; position < message.Length;)
        {
            var tag = Varint(message, ref position);
            var number = (int)(tag >> 3);
            switch (tag & 7)
            {
                case 0:
                    fields.Add(new(number, Varint(message, ref position), []));
                    break;
                case 1:
                    fields.Add(new(number, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(position)), []));
                    position += 8;
                    break;
                case 2:
                    var length = (int)Varint(message, ref position);
                    fields.Add(new(number, 0, message[position..(position + length)]));
                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"wire type {tag & 7} at byte {position}");
            }
        }
        return fields;
    }

    static ulong Varint(byte[] message, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = message[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
