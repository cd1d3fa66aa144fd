using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HybridIngest.Server.Security;

namespace HybridIngest.Server;

/// <summary>Thrown from the connect callback when every address of a host is refused by the policy.</summary>
public sealed class BlockedDestinationException(string reason) : Exception(reason);

/// <summary>
/// The <see cref="SocketsHttpHandler.ConnectCallback"/> of the image downloader: resolves the host
/// itself, asks <see cref="DestinationPolicy"/> about each address, and connects to exactly the
/// address it approved, so that no later resolution (DNS rebinding) can slip past the check.
/// </summary>
public sealed class DestinationConnector(DestinationPolicy policy)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var (host, port) = (context.DnsEndPoint.Host, context.DnsEndPoint.Port);
        var addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);

        string? refusal = null;
        SocketException? lastError = null;
        foreach (var address in addresses)
        {
            if (policy.CheckEndpoint(address, port) is { } reason)
            {
                refusal ??= reason;
                continue;
            }
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
                // A new connection (a pooled one has no event); the download span rides on the request that opened it.
                if (context.InitialRequestMessage.Options.TryGetValue(ServerTelemetry.DownloadSpan, out var span))
                {
                    span.AddEvent(new ActivityEvent("connected", tags: new ActivityTagsCollection { ["network.peer.address"] = address.ToString() }));
                }
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                lastError = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        if (refusal is not null && lastError is null)
        {
            throw new BlockedDestinationException(refusal);
        }
        throw lastError ?? new SocketException((int)SocketError.HostNotFound);
    }
}
