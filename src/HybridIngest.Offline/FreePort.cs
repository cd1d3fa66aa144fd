using System.Net;
using System.Net.Sockets;

namespace HybridIngest.Offline;

/// <summary>Free TCP ports on the loopback interface.</summary>
public static class FreePort
{
    /// <summary>
    /// A port that was free a moment ago. Prefer binding to port 0 where the program allows it;
    /// this is for programs that must be told a port up front.
    /// </summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
