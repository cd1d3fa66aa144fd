using System.Diagnostics;

namespace HybridIngest.Function;

/// <summary>
/// The invocation's place in a trace. Lambda hands each invocation an X-Ray trace header
/// (<c>Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1</c>); its Root
/// maps onto a W3C trace id as AWS's own OpenTelemetry propagator maps it (the 8 hex digits of
/// the epoch seconds, then the 24 of the unique part), and its Parent, when present, becomes the
/// function span's parent. Without a usable header the function starts a new trace. The function's
/// span is always "sampled" in the <c>traceparent</c> it sends: X-Ray's Sampled flag is X-Ray's
/// decision, and X-Ray is not where these spans go.
/// </summary>
readonly record struct FunctionTrace(ActivityTraceId TraceId, ActivitySpanId SpanId, ActivitySpanId? ParentSpanId)
{
    /// <summary>The W3C header for the server: this invocation's span is the server request's parent.</summary>
    public string TraceParent => $"00-{TraceId.ToHexString()}-{SpanId.ToHexString()}-01";

    public static FunctionTrace From(string? xrayHeader)
    {
        ActivityTraceId? traceId = null;
        ActivitySpanId? parent = null;
        foreach (var part in (xrayHeader ?? "").Split(';', StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("Root=", StringComparison.Ordinal) && part.Split('-') is ["Root=1", { Length: 8 } time, { Length: 24 } unique]
                && IsHex(time + unique))
            {
                traceId = ActivityTraceId.CreateFromString((time + unique).ToLowerInvariant());
            }
            else if (part.StartsWith("Parent=", StringComparison.Ordinal) && part[7..] is { Length: 16 } id && IsHex(id))
            {
                parent = ActivitySpanId.CreateFromString(id.ToLowerInvariant());
            }
        }
        return new FunctionTrace(traceId ?? ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), traceId is null ? null : parent);
    }

    /// <summary>Hex digits, not all zero (W3C's invalid id).</summary>
    static bool IsHex(string value) => value.All(char.IsAsciiHexDigit) && value.Any(c => c != '0');
}

/// <summary>The function's span of one invocation, as it is exported.</summary>
sealed record FunctionSpan(FunctionTrace Trace, string Name, DateTimeOffset Start, TimeSpan Duration, string RequestId, int StatusCode, string? ErrorCode);
