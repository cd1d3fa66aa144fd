using HybridIngest.Contracts;
using HybridIngest.Offline;
using HybridIngest.Server.Tests.Infrastructure;
using HybridIngest.Testing;

namespace HybridIngest.Server.Tests.Security;

/// <summary>
/// The hostile-input matrix, destinations: every refused address family reached through a URL, a
/// host name that resolves to a refused address, refused redirect hops, disallowed ports. Where
/// the refused address is the loopback, the local origin really serves an image there, so only
/// the policy stands between the request and a stored object.
/// </summary>
public sealed class HostileDestinationTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    Uri ServeImage(string path) => moto.Origin.Serve(path, SampleImages.Png);

    int OriginPort => moto.Origin.BaseUrl.Port;

    async Task AssertBlockedAsync(string what, string url, IReadOnlyDictionary<string, string>? settings = null)
    {
        await using var server = moto.StartServer(settings ?? Refusal.NoAllowlist);
        using var answer = await Refusal.PostUrlAsync(server, url);
        await Refusal.AssertAsync(moto, answer, ErrorCodes.BlockedDestination, what);
    }

    [Theory]
    [InlineData("loopback 127.0.0.1 serving an image", "http://127.0.0.1:{port}/destination/image.png")]
    [InlineData("loopback 127.0.0.2", "http://127.0.0.2:{port}/destination/image.png")]
    [InlineData("unspecified 0.0.0.0 (reaches the local host on Linux)", "http://0.0.0.0:{port}/destination/image.png")]
    [InlineData("IPv6 loopback", "http://[::1]:{port}/destination/image.png")]
    [InlineData("IPv6 unspecified", "http://[::]:{port}/destination/image.png")]
    [InlineData("IPv4-mapped loopback", "http://[::ffff:127.0.0.1]:{port}/destination/image.png")]
    [InlineData("IPv4-compatible loopback", "http://[::127.0.0.1]:{port}/destination/image.png")]
    [InlineData("NAT64 loopback", "http://[64:ff9b::7f00:1]:{port}/destination/image.png")]
    [InlineData("decimal spelling 2130706433", "http://2130706433:{port}/destination/image.png")]
    [InlineData("hex spelling 0x7f000001", "http://0x7f000001:{port}/destination/image.png")]
    [InlineData("octal spelling 0177.0.0.1", "http://0177.0.0.1:{port}/destination/image.png")]
    [InlineData("short spelling 127.1", "http://127.1:{port}/destination/image.png")]
    [InlineData("host name resolving to loopback (localhost)", "http://localhost:{port}/destination/image.png")]
    public async Task RefusesLoopbackInEveryForm(string form, string url)
    {
        ServeImage("destination/image.png");

        await AssertBlockedAsync(form, url.Replace("{port}", $"{OriginPort}"));
    }

    [Theory]
    [InlineData("metadata service", "http://169.254.169.254/latest/meta-data/iam/security-credentials/")]
    [InlineData("metadata service, decimal spelling", "http://2852039166/latest/meta-data/")]
    [InlineData("metadata service, IPv6", "http://[fd00:ec2::254]/latest/meta-data/")]
    [InlineData("metadata service, IPv4-mapped", "http://[::ffff:169.254.169.254]/latest/meta-data/")]
    [InlineData("metadata service, NAT64", "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/")]
    [InlineData("ECS task credentials", "http://169.254.170.2/v2/credentials/")]
    [InlineData("link-local", "http://169.254.1.1/image.png")]
    [InlineData("private 10/8", "http://10.0.0.1/image.png")]
    [InlineData("private 172.16/12", "http://172.16.0.1/image.png")]
    [InlineData("private 192.168/16", "http://192.168.0.1/image.png")]
    [InlineData("CGNAT 100.64/10", "http://100.64.0.1/image.png")]
    [InlineData("multicast", "http://224.0.0.1/image.png")]
    [InlineData("broadcast", "http://255.255.255.255/image.png")]
    [InlineData("reserved 240/4", "http://240.0.0.1/image.png")]
    [InlineData("documentation TEST-NET-1", "http://192.0.2.1/image.png")]
    [InlineData("benchmarking 198.18/15", "http://198.18.0.1/image.png")]
    [InlineData("IPv6 unique local", "http://[fd00::1]/image.png")]
    [InlineData("IPv6 link-local", "http://[fe80::1]/image.png")]
    [InlineData("IPv6 multicast", "http://[ff02::1]/image.png")]
    [InlineData("IPv6 documentation", "http://[2001:db8::1]/image.png")]
    [InlineData("IPv4-mapped private", "http://[::ffff:10.0.0.1]/image.png")]
    [InlineData("IPv4-compatible private", "http://[::192.168.0.1]/image.png")]
    public async Task RefusesNonPublicAddress(string kind, string url)
    {
        await AssertBlockedAsync(kind, url);
    }

    [Theory]
    [InlineData("IPv4 metadata under an allowed 169.254.0.0/16", "http://169.254.169.254/latest/meta-data/", "169.254.0.0/16")]
    [InlineData("IPv4 metadata under an allowed 0.0.0.0/0", "http://169.254.169.254/latest/meta-data/", "0.0.0.0/0")]
    [InlineData("IPv4-mapped metadata under an allowed 169.254.0.0/16", "http://[::ffff:169.254.169.254]/latest/meta-data/", "169.254.0.0/16")]
    [InlineData("IPv6 metadata under an allowed fd00::/8", "http://[fd00:ec2::254]/latest/meta-data/", "fd00::/8")]
    public async Task RefusesMetadataAddressEvenWhenAllowlisted(string kind, string url, string allowed)
    {
        await AssertBlockedAsync(kind, url, new Dictionary<string, string> { [ServerSettingNames.AllowedPrivateCidrs] = allowed });
    }

    [Theory]
    [InlineData("public IPv4 on 8080", "http://8.8.8.8:8080/image.png")]
    [InlineData("public IPv4 on SSH", "http://1.1.1.1:22/image.png")]
    [InlineData("public IPv4 on Redis", "http://9.9.9.9:6379/image.png")]
    [InlineData("public IPv6 on 8443", "https://[2606:4700:4700::1111]:8443/image.png")]
    public async Task RefusesPublicDestinationOnDisallowedPort(string kind, string url)
    {
        await AssertBlockedAsync(kind, url);
    }

    [Fact]
    public async Task DoesNotRevealWhatAHostNameResolvesTo()
    {
        ServeImage("destination/name.png");
        await using var server = moto.StartServer(Refusal.NoAllowlist);

        using var answer = await Refusal.PostUrlAsync(server, $"http://localhost:{OriginPort}/destination/name.png");

        var problem = await Refusal.AssertAsync(moto, answer, ErrorCodes.BlockedDestination, "localhost");
        Assert.Contains("a loopback address", problem.Detail);
        Assert.DoesNotContain("127.0.0.1", problem.Detail);
        Assert.DoesNotContain("::1", problem.Detail);
    }

    [Fact]
    public async Task RefusesLoopbackOutsideTheAllowedRange()
    {
        ServeImage("destination/narrow.png");

        // 127.0.0.2 is loopback too, but only 127.0.0.1/32 is allowed.
        await AssertBlockedAsync("127.0.0.2 outside 127.0.0.1/32", $"http://127.0.0.2:{OriginPort}/destination/narrow.png",
            new Dictionary<string, string> { [ServerSettingNames.AllowedPrivateCidrs] = "127.0.0.1/32" });
    }

    [Theory]
    [InlineData("metadata service", "http://169.254.169.254/latest/meta-data/")]
    [InlineData("metadata service, decimal spelling", "http://2852039166/latest/meta-data/")]
    [InlineData("metadata service, IPv4-mapped", "http://[::ffff:169.254.169.254]/")]
    [InlineData("private 10/8", "http://10.0.0.1/image.png")]
    [InlineData("loopback outside the allowed 127.0.0.1/32", "http://127.0.0.2:{port}/destination/image.png")]
    [InlineData("IPv6 loopback", "http://[::1]:{port}/destination/image.png")]
    [InlineData("file scheme", "file:///etc/passwd")]
    [InlineData("gopher scheme", "gopher://127.0.0.1:6379/_FLUSHALL")]
    public async Task RefusesRedirectToRefusedDestination(string kind, string target)
    {
        ServeImage("destination/image.png");
        var start = moto.Origin.Serve($"redirect/{Guid.NewGuid():N}",
            OriginResponse.Redirect(target.Replace("{port}", $"{OriginPort}")));

        // The first hop is the allowed local origin (the fixture's default allowlist, 127.0.0.1/32).
        await AssertBlockedAsync(kind, start.ToString(), new Dictionary<string, string>());
    }

    [Fact]
    public async Task RefusesMoreThanThreeRedirects()
    {
        ServeImage("redirect/chain/4");
        for (var hop = 0; hop < 4; hop++)
        {
            moto.Origin.Serve($"redirect/chain/{hop}", OriginResponse.Redirect($"/redirect/chain/{hop + 1}"));
        }
        await using var server = moto.StartServer();

        using var answer = await Refusal.PostUrlAsync(server, new Uri(moto.Origin.BaseUrl, "redirect/chain/0").ToString());

        await Refusal.AssertAsync(moto, answer, ErrorCodes.DownloadFailed);
    }

    [Fact]
    public async Task RefusesRedirectLoop()
    {
        var loop = moto.Origin.Serve("redirect/loop", OriginResponse.Redirect("/redirect/loop", 307));
        await using var server = moto.StartServer();

        using var answer = await Refusal.PostUrlAsync(server, loop.ToString());

        await Refusal.AssertAsync(moto, answer, ErrorCodes.DownloadFailed);
    }

    [Fact]
    public async Task RefusesRedirectFromHttpsToHttp()
    {
        var image = ServeImage("destination/downgrade.png");
        await using var tls = await TlsRedirectOrigin.StartAsync(image.ToString());
        await using var server = moto.StartServer(services: tls.TrustIn);

        using var answer = await Refusal.PostUrlAsync(server, tls.Url.ToString());

        var problem = await Refusal.AssertAsync(moto, answer, ErrorCodes.BlockedDestination, "https → http redirect");
        Assert.Contains("from https to http", problem.Detail);
    }
}
