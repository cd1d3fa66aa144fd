using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using HybridIngest.Contracts;

namespace HybridIngest.Cli;

/// <summary>What the Invoke API answered, and how long it took end to end.</summary>
public sealed partial record InvokeOutcome(
    int StatusCode,
    string? FunctionError,
    byte[] Payload,
    TimeSpan Elapsed,
    string? RequestId,
    string? LogTail)
{
    /// <summary>The <c>Init Duration</c> of the REPORT line: present only when this invocation started a new environment.</summary>
    public double? InitDurationMs =>
        LogTail is not null && InitDuration().Match(LogTail) is { Success: true } match
            ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : null;

    /// <summary>The <c>Duration</c> of the REPORT line: the function's handling of the event, init not included.</summary>
    public double? FunctionDurationMs =>
        LogTail is not null && ReportDuration().Match(LogTail) is { Success: true } match
            ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : null;

    [GeneratedRegex(@"Init Duration:\s*([0-9.]+)\s*ms")]
    private static partial Regex InitDuration();

    [GeneratedRegex(@"REPORT RequestId:\s*\S+\s+Duration:\s*([0-9.]+)\s*ms")]
    private static partial Regex ReportDuration();
}

/// <summary>
/// The Lambda Invoke API (<c>POST /2015-03-31/functions/{name}/invocations</c>), SigV4-signed by the
/// AWS SDK's own signer (AWSSDK.Lambda is not needed for one call), against AWS's regional endpoint
/// or a local host that serves the same API.
/// </summary>
public sealed class LambdaInvoker(HttpClient http, Uri endpoint, string region, AWSCredentials credentials)
{
    public const string Service = "lambda";

    public Uri Endpoint { get; } = endpoint;

    /// <summary>AWS's Invoke API endpoint for a region.</summary>
    public static Uri RegionalEndpoint(string region) => new($"https://lambda.{region}.amazonaws.com");

    /// <summary>
    /// A client whose timeout outlasts Lambda's longest function timeout (15 minutes), so that the
    /// function's own deadline, not ours, ends a slow invocation.
    /// </summary>
    public static HttpClient CreateHttpClient() =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromMinutes(16) };

    /// <summary>
    /// Invokes synchronously (RequestResponse). With <paramref name="tailLog"/> the answer carries
    /// the last 4 KB of the invocation's log, whose REPORT line shows whether it was a cold start.
    /// </summary>
    public async Task<InvokeOutcome> InvokeAsync(string functionName, byte[] payload, bool tailLog, CancellationToken cancellationToken)
    {
        var uri = new Uri(Endpoint, $"2015-03-31/functions/{Uri.EscapeDataString(functionName)}/invocations");
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Content = new ByteArrayContent(payload) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        if (tailLog)
        {
            request.Headers.Add(InvokeApiHeaders.LogType, "Tail");
        }
        await SignAsync(request, payload, cancellationToken);

        var stopwatch = Stopwatch.StartNew();
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        stopwatch.Stop();

        return new InvokeOutcome(
            (int)response.StatusCode,
            Header(response, InvokeApiHeaders.FunctionError),
            body,
            stopwatch.Elapsed,
            Header(response, InvokeApiHeaders.RequestId),
            Header(response, InvokeApiHeaders.LogResult) is { } log ? DecodeLog(log) : null);
    }

    /// <summary>Signs Host, Content-Type, every X-Amz- header and the body (the SDK adds X-Amz-Content-SHA256).</summary>
    async Task SignAsync(HttpRequestMessage request, byte[] payload, CancellationToken cancellationToken)
    {
        var signing = new AWSSigningRequest { HttpMethod = request.Method, RequestUri = request.RequestUri, Content = payload };
        signing.Headers["Content-Type"] = request.Content!.Headers.ContentType!.ToString();
        foreach (var (name, values) in request.Headers.Where(h => h.Key.StartsWith("X-Amz-", StringComparison.OrdinalIgnoreCase)))
        {
            signing.Headers[name] = string.Join(',', values);
        }
        var signed = await AWSSigV4Signer.SignAsync(signing, new AWSSigV4Parameters
        {
            Credentials = credentials,
            Region = RegionEndpoint.GetBySystemName(region),
            Service = Service,
        }, cancellationToken);
        foreach (var (name, value) in signed.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }

    static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    static string? DecodeLog(string base64)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
