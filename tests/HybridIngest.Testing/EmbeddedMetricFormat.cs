using System.Text.Json;

namespace HybridIngest.Testing;

/// <summary>
/// Checks a log line against CloudWatch's Embedded Metric Format specification, as CloudWatch Logs
/// would before extracting metrics: an <c>_aws</c> object with a millisecond <c>Timestamp</c> and
/// <c>CloudWatchMetrics</c> directives (<c>Namespace</c>, <c>Dimensions</c> as arrays of member
/// names, <c>Metrics</c> with <c>Name</c> and a CloudWatch <c>Unit</c>), each dimension a string
/// member of the line and each metric a numeric member.
/// </summary>
public static class EmbeddedMetricFormat
{
    static readonly HashSet<string> Units =
    [
        "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits",
        "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
        "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
        "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
    ];

    /// <summary>The metrics the line declares (namespace, name, unit, value); throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static IReadOnlyList<(string Namespace, string Name, string Unit, double Value)> Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        Require(root.ValueKind == JsonValueKind.Object, "the line is not a JSON object");
        Require(root.TryGetProperty("_aws", out var aws) && aws.ValueKind == JsonValueKind.Object, "no _aws object");
        Require(aws.TryGetProperty("Timestamp", out var timestamp) && timestamp.TryGetInt64(out var ms)
            && Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - ms) < TimeSpan.FromDays(1).TotalMilliseconds,
            "_aws.Timestamp is not an integer of epoch milliseconds near now");
        Require(aws.TryGetProperty("CloudWatchMetrics", out var directives) && directives.ValueKind == JsonValueKind.Array
            && directives.GetArrayLength() > 0, "_aws.CloudWatchMetrics is not a non-empty array");
        var metrics = new List<(string, string, string, double)>();
        foreach (var directive in directives.EnumerateArray())
        {
            Require(directive.TryGetProperty("Namespace", out var ns) && ns.GetString() is { Length: > 0 and <= 1024 }, "a directive has no Namespace");
            Require(directive.TryGetProperty("Dimensions", out var dimensions) && dimensions.ValueKind == JsonValueKind.Array, "a directive has no Dimensions array");
            foreach (var set in dimensions.EnumerateArray())
            {
                Require(set.ValueKind == JsonValueKind.Array && set.GetArrayLength() <= 30, "a dimension set is not an array of at most 30 names");
                foreach (var dimension in set.EnumerateArray())
                {
                    var name = dimension.GetString() ?? "";
                    Require(root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0,
                        $"dimension '{name}' is not a non-empty string member of the line");
                }
            }
            Require(directive.TryGetProperty("Metrics", out var declared) && declared.ValueKind == JsonValueKind.Array && declared.GetArrayLength() is > 0 and <= 100,
                "a directive has no Metrics array of 1 to 100 metrics");
            foreach (var metric in declared.EnumerateArray())
            {
                var name = metric.TryGetProperty("Name", out var n) ? n.GetString() ?? "" : "";
                Require(name.Length is > 0 and <= 1024, "a metric has no Name");
                var unit = metric.TryGetProperty("Unit", out var u) ? u.GetString() ?? "" : "None";
                Require(Units.Contains(unit), $"metric '{name}' has unit '{unit}', not a CloudWatch unit");
                Require(root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number, $"metric '{name}' has no numeric member");
                metrics.Add((ns.GetString()!, name, unit, value.GetDouble()));
            }
        }
        return metrics;
    }

    static void Require(bool condition, string problem)
    {
        if (!condition)
        {
            throw new FormatException($"not CloudWatch EMF: {problem}");
        }
    }
}
