using System.Text.Json;
using HybridIngest.Contracts;

namespace HybridIngest.Function;

/// <summary>
/// Log lines on stdout (Lambda sends them to CloudWatch Logs), one JSON object per line. Written
/// with Utf8JsonWriter: the bootstrap carries no logging framework.
/// </summary>
static class JsonLog
{
    static readonly Lock Gate = new();

    /// <summary>
    /// The invocation line is also a CloudWatch Embedded Metric Format record: CloudWatch turns its
    /// members into metrics per function (errors: answers of 500 and up, which Lambda's own Errors
    /// metric does not count since the function answered).
    /// </summary>
    static readonly EmfDirective InvocationMetrics = new([["function_name"]],
    [
        new("invocations", "Count"), new("errors", "Count"), new("duration_ms", "Milliseconds"), new("lambda_ec2_call_time_ms", "Milliseconds"),
    ]);

    static readonly string FunctionName = Environment.GetEnvironmentVariable(LambdaEnvironmentVariables.FunctionName) ?? "unknown";

    /// <summary>The one line per invocation.</summary>
    public static void Invocation(string requestId, int statusCode, string? code, string? imageUrl, double serverCallMs, double durationMs) =>
        Write("INFO", "invocation", requestId, writer =>
        {
            EmbeddedMetrics.WriteMetadata(writer, DateTimeOffset.UtcNow, InvocationMetrics);
            writer.WriteString("function_name", FunctionName);
            writer.WriteNumber("invocations", 1);
            writer.WriteNumber("errors", statusCode >= 500 ? 1 : 0);
            writer.WriteNumber("status_code", statusCode);
            if (code is not null)
            {
                writer.WriteString("code", code);
            }
            if (imageUrl is not null)
            {
                writer.WriteString("image_url", LoggedUrls.WithoutSecrets(imageUrl));
            }
            writer.WriteNumber("lambda_ec2_call_time_ms", serverCallMs);
            writer.WriteNumber("duration_ms", durationMs);
        });

    public static void Error(string message, string? requestId) => Write("ERROR", message, requestId, null);

    static void Write(string level, string message, string? requestId, Action<Utf8JsonWriter>? fields)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("timestamp", DateTimeOffset.UtcNow);
            writer.WriteString("level", level);
            writer.WriteString("message", message);
            if (requestId is not null)
            {
                writer.WriteString("request_id", requestId);
            }
            fields?.Invoke(writer);
            writer.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        lock (Gate)
        {
            using var stdout = Console.OpenStandardOutput();
            stdout.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
    }
}
