using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;

namespace HybridIngest.Cli.Tests;

/// <summary>
/// The AWS SDK's SigV4 signer, which signs the CLI's Invoke requests, against AWS's SigV4 test suite
/// (see SigV4Vectors/README.md), and an Invoke request checked as it arrives on the wire.
/// </summary>
public sealed class SigV4SignerTests
{
    const string Algorithm = "AWS4-HMAC-SHA256";

    static readonly string VectorsDirectory = Path.Combine(AppContext.BaseDirectory, "SigV4Vectors");

    static IEnumerable<string> VectorNames() =>
        Directory.GetDirectories(VectorsDirectory).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal);

    /// <summary>
    /// The one case the SDK signs unlike the suite: it sorts query parameters by their decoded names
    /// (ሴ after Param-3), the suite by their encoded names (%E1%88%B4 first). The Invoke API sends no
    /// query string; <see cref="SortsNonAsciiQueryNamesUnlikeTheSuite"/> pins the difference.
    /// </summary>
    const string QueryOrderCase = "get-vanilla-query-order-encoded";

    public static TheoryData<string> Vectors() => new(VectorNames().Where(n => n != QueryOrderCase));

    [Fact]
    public void HasTheVectorsItIsMeantToCheck() =>
        Assert.Superset(
            new HashSet<string> { "get-vanilla", "get-vanilla-query", "post-vanilla", "post-x-www-form-urlencoded", "get-header-value-trim", "get-vanilla-with-session-token", QueryOrderCase },
            VectorNames().ToHashSet());

    [Theory]
    [MemberData(nameof(Vectors))]
    public void MatchesPublishedVector(string name)
    {
        var vector = Load(name);
        var published = Read(name, "header-canonical-request.txt");
        // This test's derivation from a canonical request is the suite's own.
        Assert.Equal(Read(name, "header-string-to-sign.txt"), StringToSign(published, vector.Time, Scope(vector)));
        Assert.Equal(Read(name, "header-signature.txt"), Signature(published, vector.Time, Scope(vector), vector.SecretAccessKey, vector.Region, vector.Service));

        var expected = ExpectedAuthorization(vector, AsSentOnTheWire(published, vector));
        Assert.Equal(expected, SignWithTheSdk(vector));
        if (vector.SignBody)
        {
            Assert.Equal(Read(name, "header-signed-request.txt").Split('\n').Single(l => l.StartsWith("Authorization:", StringComparison.Ordinal))["Authorization:".Length..], expected);
        }
    }

    [Fact]
    public void SortsNonAsciiQueryNamesUnlikeTheSuite()
    {
        var vector = Load(QueryOrderCase);
        var published = AsSentOnTheWire(Read(QueryOrderCase, "header-canonical-request.txt"), vector);
        var lines = published.Split('\n');
        lines[2] = string.Join('&', lines[2].Split('&').OrderBy(p => Uri.UnescapeDataString(p[..p.IndexOf('=')]), StringComparer.Ordinal));

        var signed = SignWithTheSdk(vector);

        Assert.NotEqual(ExpectedAuthorization(vector, published), signed);
        Assert.Equal(ExpectedAuthorization(vector, string.Join('\n', lines)), signed);
    }

    static string SignWithTheSdk(Vector vector)
    {
        var request = new AWSSigningRequest { HttpMethod = new HttpMethod(vector.Method), RequestUri = new Uri($"https://{vector.Host}{vector.Target}") };
        if (vector.Body.Length > 0)
        {
            request.Content = vector.Body;
        }
        foreach (var header in vector.Headers.Where(h => !h.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)).GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            request.Headers[header.Key] = string.Join(',', header.Select(h => h.Value.Trim()));
        }
        var signed = AWSSigV4Signer.Sign(request, new AWSSigV4Parameters
        {
            Credentials = vector.SessionToken is null
                ? new BasicAWSCredentials(vector.AccessKeyId, vector.SecretAccessKey)
                : new SessionAWSCredentials(vector.AccessKeyId, vector.SecretAccessKey, vector.SessionToken),
            Region = RegionEndpoint.GetBySystemName(vector.Region),
            Service = vector.Service,
            SignedAt = vector.Time.UtcDateTime,
        });
        return signed.Headers["Authorization"];
    }

    /// <summary>
    /// The suite's canonical request for the request as an HTTP client sends it. The suite's request
    /// lines carry raw paths (a space, ሴ); on the wire they are percent-encoded, and every service
    /// but S3 signs the wire path encoded once more. The SDK also always signs the body's hash as
    /// x-amz-content-sha256, which the suite does only in its sign_body cases.
    /// </summary>
    static string AsSentOnTheWire(string canonicalRequest, Vector vector)
    {
        var lines = canonicalRequest.Split('\n');
        lines[1] = lines[1].Replace("%", "%25", StringComparison.Ordinal);
        var wire = string.Join('\n', lines);
        return vector.SignBody ? wire : WithHeader(wire, "x-amz-content-sha256", Hex(SHA256.HashData(vector.Body)));
    }

    static string ExpectedAuthorization(Vector vector, string canonicalRequest) =>
        $"{Algorithm} Credential={vector.AccessKeyId}/{Scope(vector)}, SignedHeaders={canonicalRequest.Split('\n')[^2]}, " +
        $"Signature={Signature(canonicalRequest, vector.Time, Scope(vector), vector.SecretAccessKey, vector.Region, vector.Service)}";

    [Fact]
    public async Task SignsTheInvokeRequestAsItArrives()
    {
        await using var api = await FakeInvokeApi.StartAsync();
        using var http = new HttpClient();
        // Any region: a name the SDK does not know is signed like any other.
        var invoker = new LambdaInvoker(http, api.Endpoint, "xx-test-7", new SessionAWSCredentials("AKIDEXAMPLE", "secret/key+", "token=="));

        await invoker.InvokeAsync(FakeInvokeApi.FunctionName, """{"image_url":"http://origin.test/cat.png"}"""u8.ToArray(), tailLog: true, CancellationToken.None);

        var (authorization, _, body, headers) = Assert.Single(api.Requests);
        var parts = authorization[(Algorithm.Length + 1)..].Split(", ").ToDictionary(p => p[..p.IndexOf('=')], p => p[(p.IndexOf('=') + 1)..]);
        var time = DateTimeOffset.ParseExact(headers["X-Amz-Date"], "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        var scope = $"{time:yyyyMMdd}/xx-test-7/lambda/aws4_request";
        Assert.Equal($"AKIDEXAMPLE/{scope}", parts["Credential"]);
        Assert.Equal("content-type;host;x-amz-content-sha256;x-amz-date;x-amz-log-type;x-amz-security-token", parts["SignedHeaders"]);
        var canonical = string.Join('\n',
            "POST",
            $"/2015-03-31/functions/{FakeInvokeApi.FunctionName}/invocations",
            "",
            string.Concat(parts["SignedHeaders"].Split(';').Select(h => $"{h}:{headers[h].Trim()}\n")),
            parts["SignedHeaders"],
            Hex(SHA256.HashData(Encoding.UTF8.GetBytes(body))));
        Assert.Equal(Signature(canonical, time, scope, "secret/key+", "xx-test-7", "lambda"), parts["Signature"]);
    }

    static string Scope(Vector vector) => $"{vector.Time:yyyyMMdd}/{vector.Region}/{vector.Service}/aws4_request";

    static string StringToSign(string canonicalRequest, DateTimeOffset time, string scope) =>
        string.Join('\n', Algorithm, time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture), scope,
            Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest))));

    static string Signature(string canonicalRequest, DateTimeOffset time, string scope, string secret, string region, string service)
    {
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secret), time.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
        foreach (var part in new[] { region, service, "aws4_request" })
        {
            key = Hmac(key, part);
        }
        return Hex(Hmac(key, StringToSign(canonicalRequest, time, scope)));
    }

    /// <summary>The canonical request with one more signed header, in its sorted place.</summary>
    static string WithHeader(string canonicalRequest, string name, string value)
    {
        var lines = canonicalRequest.Split('\n');
        var blank = Array.IndexOf(lines, "", 3);
        var headers = lines[3..blank].Append($"{name}:{value}").Order(StringComparer.Ordinal);
        var signed = lines[blank + 1].Split(';').Append(name).Order(StringComparer.Ordinal);
        return string.Join('\n', [.. lines[..3], .. headers, "", string.Join(';', signed), lines[blank + 2]]);
    }

    static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    static string Read(string name, string file) => File.ReadAllText(Path.Combine(VectorsDirectory, name, file));

    sealed record Vector(
        string Method, string Host, string Target, List<KeyValuePair<string, string>> Headers, byte[] Body,
        string AccessKeyId, string SecretAccessKey, string? SessionToken, string Region, string Service, DateTimeOffset Time, bool SignBody);

    static Vector Load(string name)
    {
        using var context = JsonDocument.Parse(Read(name, "context.json"));
        var root = context.RootElement;
        var credentials = root.GetProperty("credentials");

        var request = Read(name, "request.txt");
        var blank = request.IndexOf("\n\n", StringComparison.Ordinal);
        var head = blank < 0 ? request.TrimEnd('\n') : request[..blank];
        var body = blank < 0 ? "" : request[(blank + 2)..];
        var lines = head.Split('\n');

        var requestLine = lines[0].Split(' ');
        var headers = lines[1..].Select(line =>
        {
            var colon = line.IndexOf(':');
            return new KeyValuePair<string, string>(line[..colon], line[(colon + 1)..]);
        }).ToList();

        return new Vector(
            requestLine[0],
            headers.Single(h => h.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)).Value,
            string.Join(' ', requestLine[1..^1]),
            headers,
            Encoding.UTF8.GetBytes(body),
            credentials.GetProperty("access_key_id").GetString()!,
            credentials.GetProperty("secret_access_key").GetString()!,
            credentials.TryGetProperty("token", out var token) ? token.GetString() : null,
            root.GetProperty("region").GetString()!,
            root.GetProperty("service").GetString()!,
            DateTimeOffset.Parse(root.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture),
            root.GetProperty("sign_body").GetBoolean());
    }
}
