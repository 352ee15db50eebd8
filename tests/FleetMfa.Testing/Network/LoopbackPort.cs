using System.Net.Sockets;

namespace FleetMfa.Testing.Network;

/// <summary>Whether a server the tests started takes connections yet on its loopback port.</summary>
public static class LoopbackPort
{
    /// <summary>True once a TCP connection to 127.0.0.1:<paramref name="port"/> is accepted.</summary>
    public static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
