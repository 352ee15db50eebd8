using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using FleetMfa.Protocol.Tls;

namespace FleetMfa.Testing.Network;

/// <summary>
/// HTTP clients that connect to the silo from a chosen loopback address (any of 127.0.0.0/8 is this host on Linux), so
/// a test can stand for several clients — an attacker and an operator — that the silo tells apart by address.
/// </summary>
public static class LoopbackSource
{
    /// <summary>
    /// A client of <paramref name="baseAddress"/> whose connections come from <paramref name="source"/> (e.g. 127.0.0.2);
    /// for an https:// address, trusting only <paramref name="ca"/> (the silo's FleetMfa CA).
    /// </summary>
    public static HttpClient Client(Uri baseAddress, IPAddress source, int connections = 4, X509Certificate2? ca = null)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        if (ca is not null)
        {
            PinnedCa.Trust(handler, ca);
        }

        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>127.0.<paramref name="subnet"/>.<paramref name="host"/>.</summary>
    public static IPAddress Address(int subnet, int host) => new([127, 0, (byte)subnet, (byte)host]);
}
