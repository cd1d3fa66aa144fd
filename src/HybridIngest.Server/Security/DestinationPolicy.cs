using System.Net;
using System.Net.Sockets;
using System.Text;
using HybridIngest.Contracts;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server.Security;

/// <summary>The outcome of <see cref="DestinationPolicy.ValidateUrl"/>: a URL to fetch, or why not.</summary>
public sealed record UrlVerdict(Uri? Url, string? Error);

/// <summary>
/// Decides where the server may fetch from. The URL check (<see cref="ValidateUrl"/>) runs before
/// any network activity; the address check (<see cref="CheckEndpoint"/>) runs at connect time on
/// the address actually dialled, for the first request and every redirect hop, so that a host name
/// cannot resolve (or re-resolve) its way past the policy.
/// </summary>
public sealed class DestinationPolicy(IOptions<DestinationPolicyOptions> options)
{
    public const int MaxUrlBytes = 2048;

    // Cloud metadata and credential endpoints: refused even when an allowed range covers them,
    // because on a machine with an IAM role they hand out credentials.
    static readonly IPAddress[] MetadataAddresses =
    [
        IPAddress.Parse("169.254.169.254"), // EC2 instance metadata (also GCP, Azure, OpenStack)
        IPAddress.Parse("fd00:ec2::254"),   // EC2 instance metadata over IPv6
        IPAddress.Parse("169.254.170.2"),   // ECS task credentials
        IPAddress.Parse("169.254.170.23"),  // EKS Pod Identity agent
        IPAddress.Parse("fd00:ec2::23"),    // EKS Pod Identity agent over IPv6
        IPAddress.Parse("100.100.100.200"), // Alibaba Cloud metadata
    ];

    // Ranges that are not the public internet (IANA special-purpose registries). First match names
    // the reason. IPv4-mapped, IPv4-compatible, NAT64 and 6to4 IPv6 addresses are judged as the IPv4
    // address they embed, so they never reach the IPv6 rows below.
    static readonly (IPNetwork Range, string What)[] RefusedRanges =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "an unspecified ('this network') address"), // RFC 1122
        (IPNetwork.Parse("10.0.0.0/8"), "a private address"),                     // RFC 1918
        (IPNetwork.Parse("100.64.0.0/10"), "a carrier-grade NAT address"),        // RFC 6598
        (IPNetwork.Parse("127.0.0.0/8"), "a loopback address"),                   // RFC 1122
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local address"),              // RFC 3927, holds the metadata service
        (IPNetwork.Parse("172.16.0.0/12"), "a private address"),                  // RFC 1918
        (IPNetwork.Parse("192.0.0.0/24"), "a reserved (IETF protocol) address"),  // RFC 6890
        (IPNetwork.Parse("192.0.2.0/24"), "a documentation address"),             // RFC 5737 TEST-NET-1
        (IPNetwork.Parse("192.88.99.0/24"), "a reserved (6to4 relay) address"),   // RFC 7526, deprecated anycast
        (IPNetwork.Parse("192.168.0.0/16"), "a private address"),                 // RFC 1918
        (IPNetwork.Parse("198.18.0.0/15"), "a reserved (benchmarking) address"),  // RFC 2544
        (IPNetwork.Parse("198.51.100.0/24"), "a documentation address"),          // RFC 5737 TEST-NET-2
        (IPNetwork.Parse("203.0.113.0/24"), "a documentation address"),           // RFC 5737 TEST-NET-3
        (IPNetwork.Parse("224.0.0.0/4"), "a multicast address"),                  // RFC 5771
        (IPNetwork.Parse("255.255.255.255/32"), "the broadcast address"),         // RFC 919
        (IPNetwork.Parse("240.0.0.0/4"), "a reserved address"),                   // RFC 1112, class E
        (IPNetwork.Parse("::/128"), "the unspecified address"),                   // RFC 4291
        (IPNetwork.Parse("::1/128"), "the loopback address"),                     // RFC 4291
        (IPNetwork.Parse("64:ff9b:1::/48"), "a local-use NAT64 address"),         // RFC 8215
        (IPNetwork.Parse("100::/64"), "a discard-only address"),                  // RFC 6666
        (IPNetwork.Parse("2001:db8::/32"), "a documentation address"),            // RFC 3849
        (IPNetwork.Parse("2001::/23"), "a reserved (IETF protocol) address"),     // RFC 2928, includes Teredo
        (IPNetwork.Parse("3fff::/20"), "a documentation address"),                // RFC 9637
        (IPNetwork.Parse("5f00::/16"), "a reserved (SRv6 SID) address"),          // RFC 9602
        (IPNetwork.Parse("fc00::/7"), "a unique local (private) address"),        // RFC 4193
        (IPNetwork.Parse("fe80::/10"), "a link-local address"),                   // RFC 4291
        (IPNetwork.Parse("fec0::/10"), "a site-local address"),                   // RFC 3879, deprecated
        (IPNetwork.Parse("ff00::/8"), "a multicast address"),                     // RFC 4291
    ];

    // Everything public in IPv6 lies in 2000::/3; anything else not listed above is unassigned.
    static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");
    static readonly IPNetwork Ipv4Compatible = IPNetwork.Parse("::/96");  // ::a.b.c.d, RFC 4291 (deprecated)
    static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");    // 64:ff9b::a.b.c.d, RFC 6052
    static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");   // 2002:aabb:ccdd::, RFC 3056

    static readonly int[] DefaultPorts = [80, 443];

    readonly DestinationPolicyOptions _options = options.Value;

    /// <summary>
    /// Checks a URL before anything is fetched: only absolute http/https URLs of at most 2 KiB,
    /// without user info. Other spellings of IPv4 addresses (2130706433, 0x7f000001, 0177.0.0.1,
    /// 127.1) come back normalised to dotted quads, internationalised host names as punycode: the
    /// URL returned is all ASCII.
    /// </summary>
    public UrlVerdict ValidateUrl(string? rawUrl)
    {
        if (string.IsNullOrWhiteSpace(rawUrl))
            return Refuse("the URL is empty");
        var bytes = Encoding.UTF8.GetByteCount(rawUrl);
        if (bytes > MaxUrlBytes)
            return Refuse($"the URL is {bytes} bytes long; the limit is {MaxUrlBytes} bytes (2 KiB)");
        if (rawUrl.Any(char.IsControl))
            return Refuse("the URL contains control characters");
        // System.Uri normalises the numeric IPv4 spellings to dotted quads (HostNameType IPv4).
        if (!Uri.TryCreate(rawUrl, UriKind.Absolute, out var url))
            return Refuse("the URL is not a well-formed absolute URL");
        if (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
            return Refuse($"the scheme '{url.Scheme}' is not allowed; use http or https");
        if (url.Host.Length == 0)
            return Refuse("the URL has no host");
        // Also catches an empty user info ("http://@host/"), which Uri.UserInfo reports as "".
        if (url.GetLeftPart(UriPartial.Authority).Contains('@'))
            return Refuse("URLs with user info (user:password@host) are not allowed");
        if (url.Port == 0)
            return Refuse("port 0 is not a valid port");
        // A zone id (http://[fe80::1%25eth0]/) names a local interface: never an internet origin.
        if (url.HostNameType == UriHostNameType.IPv6 && url.IdnHost.Contains('%'))
            return Refuse("IPv6 zone ids (%25...) are not allowed");
        // An internationalised host goes on in its ASCII (punycode) form: the URL ends up in S3
        // metadata and logs, and S3 accepts ASCII only in metadata.
        if (url.HostNameType == UriHostNameType.Dns && !Ascii.IsValid(url.Host))
            url = new UriBuilder(url) { Host = url.IdnHost }.Uri;
        return new UrlVerdict(url, null);
    }

    /// <summary>
    /// Judges the address about to be dialled. Returns null when allowed, else a reason for the
    /// caller (reported as <c>blocked_destination</c>).
    /// </summary>
    public string? CheckEndpoint(IPAddress address, int port)
    {
        var judged = EmbeddedIPv4OrSelf(address);
        // The reason goes back to the caller: it names the range, never the address, so that the
        // server does not tell what an internal host name resolves to.
        var shown = judged.AddressFamily == address.AddressFamily
            ? "the address dialled"
            : "the address dialled embeds an IPv4 address that";

        if (MetadataAddresses.Contains(judged))
            return $"{shown} is a cloud metadata endpoint, which is always refused";

        // An allowed private range may use any port: local origins listen on high ports.
        if (_options.AllowedPrivateNetworks.Any(range => range.Contains(judged)))
            return null;

        foreach (var (range, what) in RefusedRanges)
        {
            if (range.Contains(judged))
                return $"{shown} is {what} ({range}); only public addresses are allowed unless " +
                       $"{ServerSettingNames.AllowedPrivateCidrs} covers it";
        }
        if (judged.AddressFamily == AddressFamily.InterNetworkV6 && !GlobalUnicast.Contains(judged))
            return $"{shown} is not a global unicast IPv6 address ({GlobalUnicast})";

        if (!DefaultPorts.Contains(port) && !_options.ExtraAllowedPorts.Contains(port))
            return $"port {port} is not allowed for public destinations; allowed: " +
                   $"{string.Join(", ", DefaultPorts.Concat(_options.ExtraAllowedPorts).Order())} " +
                   $"(add more with {DestinationPolicyOptions.AllowedPortsKey})";

        return null;
    }

    /// <summary>The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), else the address.</summary>
    static IPAddress EmbeddedIPv4OrSelf(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return address;
        if (address.IsIPv4MappedToIPv6)
            return address.MapToIPv4();
        var bytes = address.GetAddressBytes();
        // :: and ::1 are IPv6's own unspecified and loopback addresses, not IPv4-compatible ones.
        var ownSpecial = bytes.AsSpan(0, 15).IndexOfAnyExcept((byte)0) < 0 && bytes[15] <= 1;
        if ((Ipv4Compatible.Contains(address) && !ownSpecial) || Nat64.Contains(address))
            return new IPAddress(bytes.AsSpan(12, 4));
        if (SixToFour.Contains(address))
            return new IPAddress(bytes.AsSpan(2, 4));
        return new IPAddress(bytes); // without the scope id (fe80::1%eth0), which plays no part here
    }

    static UrlVerdict Refuse(string error) => new(null, error);
}
