using HybridIngest.Server.Security;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server.Tests.Security;

public class UrlValidationTests
{
    static readonly DestinationPolicy Policy = new(Options.Create(new DestinationPolicyOptions()));

    [Theory]
    [InlineData("http://example.com/cat.jpg")]
    [InlineData("https://example.com/a/b.png?size=large&v=2")]
    [InlineData("https://example.com:8443/cat.jpg")]
    [InlineData("https://[2606:4700:4700::1111]/x.gif")]
    [InlineData("HTTPS://EXAMPLE.COM/cat.jpg")]
    public void AcceptsHttpAndHttpsUrl(string raw)
    {
        var verdict = Policy.ValidateUrl(raw);

        Assert.Null(verdict.Error);
        Assert.NotNull(verdict.Url);
    }

    [Theory]
    [InlineData("decimal", "http://2130706433/x", "127.0.0.1")]
    [InlineData("hex", "http://0x7f000001/x", "127.0.0.1")]
    [InlineData("octal", "http://0177.0.0.1/x", "127.0.0.1")]
    [InlineData("short", "http://127.1/x", "127.0.0.1")]
    [InlineData("hex and short mixed", "http://0xa9.254.43518/x", "169.254.169.254")]
    [InlineData("decimal metadata", "http://2852039166/latest/meta-data/", "169.254.169.254")]
    [InlineData("zero", "http://0/x", "0.0.0.0")]
    public void NormalisesIPv4Spelling(string spelling, string raw, string expectedHost)
    {
        var verdict = Policy.ValidateUrl(raw);

        Assert.True(verdict.Url is not null, $"{spelling}: {verdict.Error}");
        Assert.Equal(expectedHost, verdict.Url.Host);
        Assert.Equal(UriHostNameType.IPv4, verdict.Url.HostNameType);
    }

    [Theory]
    [InlineData("internationalised host", "http://bücher.example/bild.png", "http://xn--bcher-kva.example/bild.png")]
    [InlineData("internationalised host and path", "https://bücher.example/bild-ä.png?q=ü", "https://xn--bcher-kva.example/bild-%C3%A4.png?q=%C3%BC")]
    [InlineData("ASCII host untouched", "http://example.com:8080/a.png", "http://example.com:8080/a.png")]
    [InlineData("IPv6 literal untouched", "http://[2606:4700:4700::1111]/a.png", "http://[2606:4700:4700::1111]/a.png")]
    public void ReturnsUrlInAsciiForm(string kind, string raw, string expected)
    {
        var verdict = Policy.ValidateUrl(raw);

        Assert.True(verdict.Url is not null, $"{kind}: {verdict.Error}");
        Assert.Equal(expected, verdict.Url.AbsoluteUri);
    }

    [Theory]
    [InlineData("file", "file:///etc/passwd")]
    [InlineData("bare path (file on Unix)", "/etc/passwd")]
    [InlineData("ftp", "ftp://example.com/cat.jpg")]
    [InlineData("gopher", "gopher://127.0.0.1:6379/_INFO")]
    [InlineData("data", "data:image/png;base64,iVBORw0KGgo=")]
    [InlineData("javascript", "javascript:alert(1)")]
    [InlineData("dict", "dict://127.0.0.1:11211/stat")]
    [InlineData("ldap", "ldap://example.com/")]
    [InlineData("ws", "ws://example.com/")]
    [InlineData("jar", "jar:http://example.com/a.jar!/x")]
    public void RefusesOtherScheme(string scheme, string raw)
    {
        var verdict = Policy.ValidateUrl(raw);

        Assert.Null(verdict.Url);
        Assert.True(verdict.Error is not null, $"{scheme} was accepted");
        Assert.Contains("is not allowed; use http or https", verdict.Error);
    }

    [Theory]
    [InlineData("user", "http://user@example.com/cat.jpg")]
    [InlineData("user and password", "http://user:secret@example.com/cat.jpg")]
    [InlineData("password only", "http://:secret@example.com/cat.jpg")]
    [InlineData("empty user info", "http://@example.com/cat.jpg")]
    [InlineData("host confusion", "http://example.com@169.254.169.254/")]
    public void RefusesUserInfo(string kind, string raw)
    {
        var verdict = Policy.ValidateUrl(raw);

        Assert.Null(verdict.Url);
        Assert.True(verdict.Error?.Contains("user info") == true, $"{kind}: {verdict.Error}");
    }

    [Theory]
    [InlineData("null", null)]
    [InlineData("empty", "")]
    [InlineData("blank", "   ")]
    [InlineData("relative", "cat.jpg")]
    [InlineData("no host", "http:///cat.jpg")]
    [InlineData("scheme without slashes", "http:example.com")]
    [InlineData("space in host", "http://exa mple.com/")]
    [InlineData("port out of range", "http://example.com:99999/")]
    [InlineData("port zero", "http://example.com:0/")]
    [InlineData("unclosed IPv6 bracket", "http://[::1/")]
    [InlineData("newline (header injection)", "http://example.com/\r\nX-Injected: 1")]
    [InlineData("NUL", "http://example.com/\0")]
    [InlineData("IPv6 zone id", "http://[fe80::1%25eth0]/")]
    public void RefusesMalformedUrl(string kind, string? raw)
    {
        var verdict = Policy.ValidateUrl(raw);

        Assert.Null(verdict.Url);
        Assert.True(verdict.Error is not null, $"{kind} was accepted");
    }

    [Fact]
    public void AcceptsUrlOfExactly2KiB()
    {
        var raw = "https://example.com/" + new string('a', DestinationPolicy.MaxUrlBytes - 20);
        Assert.Equal(2048, raw.Length);

        Assert.Null(Policy.ValidateUrl(raw).Error);
    }

    [Fact]
    public void RefusesUrlOver2KiB()
    {
        var raw = "https://example.com/" + new string('a', DestinationPolicy.MaxUrlBytes - 19);

        var verdict = Policy.ValidateUrl(raw);

        Assert.Null(verdict.Url);
        Assert.Equal("the URL is 2049 bytes long; the limit is 2048 bytes (2 KiB)", verdict.Error);
    }

    [Fact]
    public void CountsUrlLengthInUtf8Bytes()
    {
        // 1100 'é' are 1100 characters but 2200 bytes.
        var raw = "https://example.com/" + new string('é', 1100);

        Assert.NotNull(Policy.ValidateUrl(raw).Error);
    }
}
