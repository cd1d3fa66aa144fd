using System.Globalization;
using System.Text;
using System.Text.Json;

namespace HybridIngest.Cli.Tests;

/// <summary>The signer against AWS's SigV4 test suite (see SigV4Vectors/README.md).</summary>
public sealed class SigV4SignerTests
{
    static readonly string VectorsDirectory = Path.Combine(AppContext.BaseDirectory, "SigV4Vectors");

    static IEnumerable<string> VectorNames() =>
        Directory.GetDirectories(VectorsDirectory).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal);

    public static TheoryData<string> Vectors() => new(VectorNames());

    [Fact]
    public void HasTheVectorsItIsMeantToCheck() =>
        Assert.Superset(
            new HashSet<string> { "get-vanilla", "get-vanilla-query", "post-vanilla", "post-x-www-form-urlencoded", "get-header-value-trim", "get-vanilla-with-session-token" },
            VectorNames().ToHashSet());

    [Theory]
    [MemberData(nameof(Vectors))]
    public void MatchesPublishedVector(string name)
    {
        var vector = Load(name);

        var signature = SigV4Signer.Sign(
            vector.Method, vector.Path, vector.Query, vector.Headers, vector.Body,
            vector.Credentials, vector.Region, vector.Service, vector.Time, vector.SignBody);

        Assert.Equal(Read(name, "header-canonical-request.txt"), signature.CanonicalRequest);
        Assert.Equal(Read(name, "header-string-to-sign.txt"), signature.StringToSign);
        Assert.Equal(Read(name, "header-signature.txt"), signature.Signature);
        var expectedAuthorization = Read(name, "header-signed-request.txt").Split('\n')
            .Single(line => line.StartsWith("Authorization:", StringComparison.Ordinal))["Authorization:".Length..];
        Assert.Equal(expectedAuthorization, signature.Authorization);
    }

    [Fact]
    public async Task SignsHttpRequestLikeTheWireForm()
    {
        // The same request as get-vanilla-with-session-token, through the HttpRequestMessage path.
        var vector = Load("get-vanilla-with-session-token");
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://example.amazonaws.com/");

        await SigV4Signer.SignAsync(request, vector.Credentials, vector.Region, vector.Service, vector.Time, CancellationToken.None);

        Assert.Equal("20150830T123600Z", request.Headers.GetValues("X-Amz-Date").Single());
        Assert.Equal(vector.Credentials.SessionToken, request.Headers.GetValues("X-Amz-Security-Token").Single());
        Assert.EndsWith($"Signature={Read("get-vanilla-with-session-token", "header-signature.txt")}",
            request.Headers.GetValues("Authorization").Single(), StringComparison.Ordinal);
    }

    static string Read(string name, string file) => File.ReadAllText(Path.Combine(VectorsDirectory, name, file));

    sealed record Vector(
        string Method, string Path, string Query, List<KeyValuePair<string, string>> Headers, byte[] Body,
        SigningCredentials Credentials, string Region, string Service, DateTimeOffset Time, bool SignBody);

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
        var target = string.Join(' ', requestLine[1..^1]);
        var question = target.IndexOf('?');
        var headers = lines[1..].Select(line =>
        {
            var colon = line.IndexOf(':');
            return new KeyValuePair<string, string>(line[..colon], line[(colon + 1)..]);
        }).ToList();

        return new Vector(
            requestLine[0],
            question < 0 ? target : target[..question],
            question < 0 ? "" : target[(question + 1)..],
            headers,
            Encoding.UTF8.GetBytes(body),
            new SigningCredentials(
                credentials.GetProperty("access_key_id").GetString()!,
                credentials.GetProperty("secret_access_key").GetString()!,
                credentials.TryGetProperty("token", out var token) ? token.GetString() : null),
            root.GetProperty("region").GetString()!,
            root.GetProperty("service").GetString()!,
            DateTimeOffset.Parse(root.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture),
            root.GetProperty("sign_body").GetBoolean());
    }
}
