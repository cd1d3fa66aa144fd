using System.Text;
using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;

namespace HybridIngest.Server.Tests.Security;

/// <summary>
/// The hostile-input matrix, requests: URLs refused before any network activity (schemes, length,
/// user info, malformed) and request bodies that are too big, too deep or of the wrong shape.
/// </summary>
public sealed class HostileRequestTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    async Task AssertRefusedAsync(string what, HttpContent body, string code)
    {
        await using var server = moto.StartServer();
        using var answer = await server.Client.PostAsync("/process-image", body);
        await Refusal.AssertAsync(moto, answer, code, what);
    }

    static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    static string UrlField(string url) =>
        $"{{\"image_url\": {System.Text.Json.JsonSerializer.Serialize(url, HybridIngestJsonContext.Default.String)}}}";

    [Theory]
    [InlineData("file", "file:///etc/passwd")]
    [InlineData("bare path (a file URL on Unix)", "/etc/passwd")]
    [InlineData("ftp", "ftp://127.0.0.1/image.png")]
    [InlineData("gopher", "gopher://127.0.0.1:6379/_FLUSHALL")]
    [InlineData("data", "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==")]
    [InlineData("javascript", "javascript:alert(document.domain)")]
    [InlineData("dict", "dict://127.0.0.1:11211/stats")]
    [InlineData("ldap", "ldap://127.0.0.1/dc=example")]
    [InlineData("user info", "http://user:secret@127.0.0.1/image.png")]
    [InlineData("user info disguising the host", "http://images.example.com@169.254.169.254/latest/meta-data/")]
    [InlineData("empty user info", "http://@127.0.0.1/image.png")]
    [InlineData("malformed: no host", "http:///image.png")]
    [InlineData("malformed: not a URL", "not a url")]
    [InlineData("malformed: space in host", "http://exa mple.com/image.png")]
    [InlineData("malformed: port out of range", "http://example.com:70000/image.png")]
    [InlineData("malformed: unclosed IPv6 bracket", "http://[::1/image.png")]
    [InlineData("header injection", "http://example.com/image.png\r\nX-Injected: 1")]
    [InlineData("IPv6 zone id", "http://[fe80::1%25eth0]/image.png")]
    public async Task RefusesInvalidUrl(string kind, string url)
    {
        await AssertRefusedAsync(kind, Json(UrlField(url)), ErrorCodes.InvalidUrl);
    }

    [Fact]
    public async Task RefusesUrlOver2KiB()
    {
        var url = "http://127.0.0.1/" + new string('a', 2048);

        await AssertRefusedAsync("URL over 2 KiB", Json(UrlField(url)), ErrorCodes.InvalidUrl);
    }

    [Theory]
    [InlineData("invalid JSON", "{\"image_url\": ")]
    [InlineData("not JSON at all", "image_url=http://example.com/a.png")]
    [InlineData("empty body", "")]
    [InlineData("JSON null", "null")]
    [InlineData("JSON array", "[\"http://example.com/a.png\"]")]
    [InlineData("JSON string", "\"http://example.com/a.png\"")]
    [InlineData("JSON number", "42")]
    [InlineData("image_url missing", "{\"timestamp\": \"2026-01-01T00:00:00Z\"}")]
    [InlineData("image_url empty", "{\"image_url\": \"\"}")]
    [InlineData("image_url null", "{\"image_url\": null}")]
    [InlineData("image_url a number", "{\"image_url\": 123}")]
    [InlineData("image_url an array", "{\"image_url\": [\"http://example.com/a.png\"]}")]
    [InlineData("image_url an object", "{\"image_url\": {\"href\": \"http://example.com/a.png\"}}")]
    [InlineData("image_url a boolean", "{\"image_url\": true}")]
    [InlineData("timestamp a number", "{\"image_url\": \"http://example.com/a.png\", \"timestamp\": 5}")]
    [InlineData("request_id with a newline", "{\"image_url\": \"http://example.com/a.png\", \"request_id\": \"a\\nb\"}")]
    public async Task RefusesMalformedRequestBody(string kind, string json)
    {
        await AssertRefusedAsync(kind, Json(json), ErrorCodes.InvalidRequest);
    }

    [Theory]
    [InlineData("nested in an unknown field", 1000)]
    [InlineData("nested just past the limit", 20)]
    public async Task RefusesDeeplyNestedJson(string kind, int depth)
    {
        var json = $"{{\"image_url\": \"http://example.com/a.png\", \"extra\": {new string('[', depth)}{new string(']', depth)}}}";

        await AssertRefusedAsync(kind, Json(json), ErrorCodes.InvalidRequest);
    }

    [Fact]
    public async Task RefusesImageUrlNestedInArrays()
    {
        var json = $"{{\"image_url\": {new string('[', 500)}\"http://example.com/a.png\"{new string(']', 500)}}}";

        await AssertRefusedAsync("image_url nested 500 deep", Json(json), ErrorCodes.InvalidRequest);
    }

    [Fact]
    public async Task RefusesBodyOver16KiBByContentLength()
    {
        var json = $"{{\"image_url\": \"http://example.com/a.png\", \"padding\": \"{new string('x', 16 * 1024)}\"}}";

        await AssertRefusedAsync("body over 16 KiB", Json(json), ErrorCodes.InvalidRequest);
    }

    [Fact]
    public async Task RefusesBodyOver16KiBSentChunked()
    {
        var json = $"{{\"image_url\": \"http://example.com/a.png\", \"padding\": \"{new string('x', 64 * 1024)}\"}}";
        await using var server = moto.StartServer();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/process-image") { Content = Json(json) };
        request.Headers.TransferEncodingChunked = true;

        using var answer = await server.Client.SendAsync(request);

        Assert.Null(request.Content.Headers.ContentLength);
        await Refusal.AssertAsync(moto, answer, ErrorCodes.InvalidRequest, "chunked body over 16 KiB");
    }

    [Fact]
    public async Task RefusesHugeJsonDocument()
    {
        var items = string.Join(",", Enumerable.Repeat("{\"a\":[1,2,3]}", 100_000)); // about 1.3 MB
        var json = $"{{\"image_url\": \"http://example.com/a.png\", \"items\": [{items}]}}";

        await AssertRefusedAsync("1.3 MB JSON document", Json(json), ErrorCodes.InvalidRequest);
    }

    [Fact]
    public async Task RefusesImageUrlThatIsAnImageEmbeddedAsData()
    {
        var data = "data:image/png;base64," + Convert.ToBase64String(SampleImages.Png.Bytes);

        await AssertRefusedAsync("data URL holding a real PNG", Json(UrlField(data)), ErrorCodes.InvalidUrl);
    }
}
