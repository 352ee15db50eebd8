using System.Net.Sockets;

namespace FleetMfa.Agent.Tests.Infrastructure;

/// <summary>A client that speaks whatever bytes a test gives it to a Unix-domain socket, and returns what came back.</summary>
public static class RawSocketClient
{
    /// <summary>Sends <paramref name="request"/>, shuts down the sending side, reads until the server closes.</summary>
    public static async Task<byte[]> ExchangeAsync(string path, byte[] request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        try
        {
            await socket.SendAsync(request, SocketFlags.None);
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The server closed on us mid-request (an oversized one): what it sent back, if anything, still counts.
        }

        return await ReadToEndAsync(socket);
    }

    public static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        using var received = new MemoryStream();
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException)
        {
            // Reset by the server: it sent nothing more.
        }

        return received.ToArray();
    }
}
