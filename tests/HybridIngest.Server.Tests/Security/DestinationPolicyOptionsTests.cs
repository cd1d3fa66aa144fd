using System.Net;
using HybridIngest.Contracts;
using HybridIngest.Server.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HybridIngest.Server.Tests.Security;

public class DestinationPolicyOptionsTests
{
    static IHost Build(string? allowedCidrs = null, string? allowedPorts = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [ServerSettingNames.AllowedPrivateCidrs] = allowedCidrs,
            [DestinationPolicyOptions.AllowedPortsKey] = allowedPorts,
        });
        builder.Services.AddDestinationPolicy();
        return builder.Build();
    }

    [Fact]
    public void DefaultsToNoPrivateRangeAndNoExtraPort()
    {
        using var host = Build();

        var options = host.Services.GetRequiredService<IOptions<DestinationPolicyOptions>>().Value;

        Assert.Empty(options.AllowedPrivateNetworks);
        Assert.Empty(options.ExtraAllowedPorts);
        Assert.NotNull(host.Services.GetRequiredService<DestinationPolicy>()
            .CheckEndpoint(IPAddress.Loopback, 8080));
    }

    [Fact]
    public void ReadsCommaSeparatedRangesAndPorts()
    {
        using var host = Build(" 127.0.0.0/8, fd00::/8 ,", "8080,8443");

        var options = host.Services.GetRequiredService<IOptions<DestinationPolicyOptions>>().Value;

        Assert.Equal([IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("fd00::/8")], options.AllowedPrivateNetworks);
        Assert.Equal(new HashSet<int> { 8080, 8443 }, options.ExtraAllowedPorts);
    }

    [Fact]
    public void RegistersPolicyAsSingletonUsingTheConfiguredRanges()
    {
        using var host = Build("127.0.0.0/8");

        var policy = host.Services.GetRequiredService<DestinationPolicy>();

        Assert.Same(policy, host.Services.GetRequiredService<DestinationPolicy>());
        Assert.Null(policy.CheckEndpoint(IPAddress.Loopback, 54321));
    }

    [Theory]
    [InlineData("prefix too long", "10.0.0.0/33")]
    [InlineData("no prefix", "10.0.0.5")]
    [InlineData("not an address", "localhost/8")]
    [InlineData("garbage", "banana")]
    public async Task FailsAtStartOnBadCidr(string kind, string cidrs)
    {
        using var host = Build(allowedCidrs: $"127.0.0.0/8,{cidrs}");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.True(error.Message.StartsWith($"INGEST_ALLOWED_PRIVATE_CIDRS: '{cidrs}' is not valid"),
            $"{kind}: {error.Message}");
    }

    [Theory]
    [InlineData("zero", "0")]
    [InlineData("too high", "65536")]
    [InlineData("not a number", "http")]
    public async Task FailsAtStartOnBadPort(string kind, string ports)
    {
        using var host = Build(allowedPorts: ports);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.True(error.Message.StartsWith($"INGEST_ALLOWED_PORTS: '{ports}' is not valid"),
            $"{kind}: {error.Message}");
    }
}
