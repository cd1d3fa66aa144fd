using System.Net;
using HybridIngest.Contracts;

namespace HybridIngest.Server.Security;

/// <summary>The settings of <see cref="DestinationPolicy"/>, read from the environment at start.</summary>
public sealed record DestinationPolicyOptions
{
    public const string AllowedPortsKey = "INGEST_ALLOWED_PORTS";

    /// <summary>
    /// Non-public ranges the server may fetch from, on any port (the offline mode's origins listen
    /// on high loopback ports). The metadata addresses stay refused even when covered.
    /// </summary>
    public IReadOnlyList<IPNetwork> AllowedPrivateNetworks { get; set; } = [];

    /// <summary>Ports allowed for public destinations besides 80 and 443.</summary>
    public IReadOnlySet<int> ExtraAllowedPorts { get; set; } = new HashSet<int>();
}

public static class DestinationPolicyServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="DestinationPolicy"/> as a singleton with its options read from
    /// INGEST_ALLOWED_PRIVATE_CIDRS and INGEST_ALLOWED_PORTS (comma-separated, both default empty);
    /// a malformed entry stops the host at start with a message naming the setting and the entry.
    /// </summary>
    public static IServiceCollection AddDestinationPolicy(this IServiceCollection services)
    {
        services.AddOptions<DestinationPolicyOptions>()
            .Configure<IConfiguration>((options, configuration) =>
            {
                options.AllowedPrivateNetworks = Entries(configuration,
                    ServerSettingNames.AllowedPrivateCidrs, ParseCidr,
                    "comma-separated CIDR ranges, e.g. 127.0.0.0/8,fd00::/8 (one host: 10.0.0.5/32)");
                options.ExtraAllowedPorts = Entries(configuration,
                    DestinationPolicyOptions.AllowedPortsKey, ParsePort,
                    "comma-separated port numbers from 1 to 65535, e.g. 8080,8443").ToHashSet();
            })
            .ValidateOnStart();
        services.AddSingleton<DestinationPolicy>();
        return services;
    }

    static List<T> Entries<T>(IConfiguration configuration, string key, Func<string, T?> parse,
        string expected) where T : struct
    {
        var entries = (configuration[key] ?? "").Split(',',
            StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return entries.Select(entry => parse(entry) ?? throw new InvalidOperationException(
                $"{key}: '{entry}' is not valid; expected {expected}")).ToList();
    }

    static IPNetwork? ParseCidr(string entry) =>
        entry.Contains('/') && IPNetwork.TryParse(entry, out var range) ? range : null;

    static int? ParsePort(string entry) =>
        int.TryParse(entry, out var port) && port is >= 1 and <= 65535 ? port : null;
}
