using System.Net;
using HybridIngest.Server.Security;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server.Tests.Security;

public class DestinationPolicyTests
{
    static DestinationPolicy Policy(string allowedCidrs = "", params int[] extraPorts) =>
        new(Options.Create(new DestinationPolicyOptions
        {
            AllowedPrivateNetworks = allowedCidrs.Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(IPNetwork.Parse).ToList(),
            ExtraAllowedPorts = extraPorts.ToHashSet(),
        }));

    static string? Check(DestinationPolicy policy, string address, int port = 443) =>
        policy.CheckEndpoint(IPAddress.Parse(address), port);

    [Theory]
    [InlineData("loopback", "127.0.0.1")]
    [InlineData("loopback top of 127/8", "127.255.255.254")]
    [InlineData("unspecified", "0.0.0.0")]
    [InlineData("this network 0/8", "0.1.2.3")]
    [InlineData("private 10/8", "10.1.2.3")]
    [InlineData("private 172.16/12 low end", "172.16.0.1")]
    [InlineData("private 172.16/12 high end", "172.31.255.254")]
    [InlineData("private 192.168/16", "192.168.1.1")]
    [InlineData("link-local", "169.254.1.1")]
    [InlineData("metadata service", "169.254.169.254")]
    [InlineData("CGNAT", "100.64.0.1")]
    [InlineData("CGNAT high end", "100.127.255.254")]
    [InlineData("multicast", "224.0.0.1")]
    [InlineData("multicast high end", "239.255.255.250")]
    [InlineData("broadcast", "255.255.255.255")]
    [InlineData("class E reserved", "240.0.0.1")]
    [InlineData("IETF protocol assignments", "192.0.0.8")]
    [InlineData("TEST-NET-1", "192.0.2.1")]
    [InlineData("TEST-NET-2", "198.51.100.1")]
    [InlineData("TEST-NET-3", "203.0.113.1")]
    [InlineData("benchmarking", "198.19.0.1")]
    [InlineData("6to4 relay anycast", "192.88.99.1")]
    [InlineData("IPv6 loopback", "::1")]
    [InlineData("IPv6 unspecified", "::")]
    [InlineData("IPv6 unique local", "fd12:3456::1")]
    [InlineData("IPv6 unique local fc00::/8", "fc00::1")]
    [InlineData("IPv6 metadata service", "fd00:ec2::254")]
    [InlineData("IPv6 link-local", "fe80::1")]
    [InlineData("IPv6 link-local with scope id", "fe80::1%2")]
    [InlineData("IPv6 site-local", "fec0::1")]
    [InlineData("IPv6 multicast", "ff02::1")]
    [InlineData("IPv6 documentation", "2001:db8::1")]
    [InlineData("IPv6 documentation 3fff::/20", "3fff::1")]
    [InlineData("Teredo", "2001:0:4136:e378:8000:63bf:3fff:fdd2")]
    [InlineData("discard-only", "100::1")]
    [InlineData("local-use NAT64", "64:ff9b:1::a00:1")]
    [InlineData("outside IPv6 global unicast", "4000::1")]
    [InlineData("IPv4-mapped loopback", "::ffff:127.0.0.1")]
    [InlineData("IPv4-mapped metadata", "::ffff:169.254.169.254")]
    [InlineData("IPv4-mapped private", "::ffff:10.0.0.1")]
    [InlineData("IPv4-compatible loopback", "::127.0.0.1")]
    [InlineData("IPv4-compatible metadata", "::169.254.169.254")]
    [InlineData("NAT64 loopback", "64:ff9b::7f00:1")]
    [InlineData("NAT64 metadata", "64:ff9b::a9fe:a9fe")]
    [InlineData("NAT64 private", "64:ff9b::192.168.0.1")]
    [InlineData("6to4 embedding loopback", "2002:7f00:1::1")]
    [InlineData("6to4 embedding metadata", "2002:a9fe:a9fe::1")]
    public void RefusesNonPublicAddress(string kind, string address)
    {
        var reason = Check(Policy(), address);

        Assert.False(reason is null, $"{kind} {address} was allowed");
    }

    [Theory]
    [InlineData("public IPv4", "93.184.215.14", 443)]
    [InlineData("public IPv4 on port 80", "8.8.8.8", 80)]
    [InlineData("just above 172.16/12", "172.32.0.1", 443)]
    [InlineData("just below CGNAT", "100.63.255.255", 443)]
    [InlineData("just above CGNAT", "100.128.0.1", 443)]
    [InlineData("public IPv6", "2606:4700:4700::1111", 443)]
    [InlineData("IPv4-mapped public", "::ffff:8.8.8.8", 443)]
    [InlineData("NAT64 public", "64:ff9b::808:808", 443)]
    [InlineData("6to4 embedding public", "2002:808:808::1", 80)]
    public void AllowsPublicAddress(string kind, string address, int port)
    {
        var reason = Check(Policy(), address, port);

        Assert.True(reason is null, $"{kind} {address}:{port} was refused: {reason}");
    }

    [Fact]
    public void ReasonNamesTheRangeButNotTheAddress()
    {
        var reason = Check(Policy(), "10.1.2.3");

        Assert.Equal("the address dialled is a private address (10.0.0.0/8); only public addresses are allowed " +
                     "unless INGEST_ALLOWED_PRIVATE_CIDRS covers it", reason);
    }

    [Fact]
    public void ReasonForEmbeddedAddressNamesTheRangeOfTheIPv4ItCarries()
    {
        var reason = Check(Policy(), "::ffff:127.0.0.1");

        Assert.StartsWith("the address dialled embeds an IPv4 address that is a loopback address (127.0.0.0/8)", reason);
        Assert.DoesNotContain("127.0.0.1", reason);
    }

    [Theory]
    [InlineData("SSH", 22)]
    [InlineData("high port", 8080)]
    [InlineData("SMTP", 25)]
    [InlineData("Redis", 6379)]
    public void RefusesPublicAddressOnOtherPort(string kind, int port)
    {
        var reason = Check(Policy(), "8.8.8.8", port);

        Assert.True(reason is not null, $"{kind} port {port} was allowed");
        Assert.StartsWith($"port {port} is not allowed for public destinations; allowed: 80, 443", reason);
    }

    [Fact]
    public void AllowsExtraPortFromOptions()
    {
        var policy = Policy("", 8443);

        Assert.Null(Check(policy, "8.8.8.8", 8443));
        Assert.NotNull(Check(policy, "8.8.8.8", 8080));
    }

    [Fact]
    public void ExtraPortDoesNotOpenPrivateAddresses()
    {
        Assert.NotNull(Check(Policy("", 8080), "127.0.0.1", 8080));
    }

    [Fact]
    public void AllowsAnyPortInsideAllowedPrivateRange()
    {
        var policy = Policy("127.0.0.0/8");

        Assert.Null(Check(policy, "127.0.0.1", 54321));
        Assert.Null(Check(policy, "127.0.0.1", 80));
    }

    [Fact]
    public void AllowedPrivateRangeCoversEmbeddedForms()
    {
        var policy = Policy("127.0.0.0/8");

        Assert.Null(Check(policy, "::ffff:127.0.0.1", 54321));
        Assert.Null(Check(policy, "64:ff9b::7f00:1", 54321));
    }

    [Fact]
    public void AllowedPrivateRangeOpensOnlyThatRange()
    {
        var policy = Policy("127.0.0.0/8");

        Assert.NotNull(Check(policy, "10.0.0.1"));
        Assert.NotNull(Check(policy, "::1"));
    }

    [Fact]
    public void AllowsIPv6PrivateRangeWhenListed()
    {
        Assert.Null(Check(Policy("::1/128"), "::1", 8080));
        Assert.Null(Check(Policy("fd12::/16"), "fd12::5", 8080));
    }

    [Theory]
    [InlineData("IMDS", "169.254.169.254", "169.254.0.0/16")]
    [InlineData("IMDS under allow-all IPv4", "169.254.169.254", "0.0.0.0/0")]
    [InlineData("IMDS IPv6", "fd00:ec2::254", "fc00::/7")]
    [InlineData("IMDS IPv4-mapped", "::ffff:169.254.169.254", "169.254.0.0/16")]
    [InlineData("IMDS NAT64", "64:ff9b::a9fe:a9fe", "169.254.0.0/16")]
    [InlineData("ECS task credentials", "169.254.170.2", "169.254.0.0/16")]
    [InlineData("EKS Pod Identity", "169.254.170.23", "169.254.0.0/16")]
    [InlineData("EKS Pod Identity IPv6", "fd00:ec2::23", "fd00::/8")]
    [InlineData("Alibaba Cloud metadata", "100.100.100.200", "100.64.0.0/10")]
    public void RefusesMetadataAddressEvenWhenAllowlisted(string kind, string address, string allowed)
    {
        var reason = Check(Policy(allowed), address, 80);

        Assert.True(reason is not null, $"{kind} {address} was allowed under {allowed}");
        Assert.Contains("cloud metadata endpoint", reason);
    }

    [Fact]
    public void AllowlistStillServesNeighboursOfTheMetadataAddress()
    {
        Assert.Null(Check(Policy("169.254.0.0/16"), "169.254.169.1", 8080));
    }
}
