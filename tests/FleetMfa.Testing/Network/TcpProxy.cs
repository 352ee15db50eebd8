using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace FleetMfa.Testing.Network;

/// <summary>
/// A TCP proxy on a loopback port of its own that a test opens and closes. Open, it forwards each connection to the
/// target, byte for byte in both directions. Closed, it resets every connection it holds (RST, as a peer that went
/// away) and resets each new one as soon as the kernel accepted it, so a client sees "connection reset" at once and
/// nothing reaches the target; opened again, new connections go through. It keeps its port throughout (nobody else can
/// take it while it is "down").
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<int, (Socket Client, Socket Upstream)> _links = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _nextLink;
    private int _forwarded;
    private int _cut;
    private int _refused;
    private volatile bool _open = true;

    private TcpProxy(Socket listener, IPEndPoint target)
    {
        _listener = listener;
        _target = target;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>The proxy's own port on 127.0.0.1.</summary>
    public int Port { get; }

    public int TargetPort => _target.Port;

    public bool IsOpen => _open;

    /// <summary>Connections forwarded so far.</summary>
    public int Forwarded => Volatile.Read(ref _forwarded);

    /// <summary>Open connections reset by <see cref="Close"/> so far.</summary>
    public int Cut => Volatile.Read(ref _cut);

    /// <summary>New connections reset at once because the proxy was closed.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Starts an open proxy to 127.0.0.1:<paramref name="targetPort"/> on a free loopback port.</summary>
    public static TcpProxy Start(int targetPort)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(512);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        return new TcpProxy(listener, new IPEndPoint(IPAddress.Loopback, targetPort));
    }

    /// <summary>Down: resets every open connection, and every new one until <see cref="Open"/>.</summary>
    public void Close()
    {
        _open = false;
        foreach (var id in _links.Keys)
        {
            if (_links.TryRemove(id, out var link))
            {
                Abort(link.Client);
                Abort(link.Upstream);
                Interlocked.Increment(ref _cut);
            }
        }
    }

    /// <summary>Up again: new connections are forwarded.</summary>
    public void Open() => _open = true;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        Close();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = LinkAsync(client);
        }
    }

    private async Task LinkAsync(Socket client)
    {
        client.NoDelay = true;
        if (!_open)
        {
            Interlocked.Increment(ref _refused);
            Abort(client);
            return;
        }

        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await upstream.ConnectAsync(_target, _stop.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            // The target itself is down: the client sees its connection reset.
            Abort(client);
            upstream.Dispose();
            return;
        }

        var id = Interlocked.Increment(ref _nextLink);
        _links[id] = (client, upstream);
        if (!_open)
        {
            // Closed while connecting: Close() may have missed this link.
            if (_links.TryRemove(id, out _))
            {
                Abort(client);
                Abort(upstream);
                Interlocked.Increment(ref _cut);
            }

            return;
        }

        Interlocked.Increment(ref _forwarded);
        await Task.WhenAll(PumpAsync(client, upstream), PumpAsync(upstream, client));
        if (_links.TryRemove(id, out _))
        {
            client.Dispose();
            upstream.Dispose();
        }
    }

    /// <summary>Copies one direction until its sender finishes (then passes the end on) or the link breaks.</summary>
    private static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Cut by Close(), or reset by either end: the other end is reset too.
            Abort(from);
            Abort(to);
        }
    }

    /// <summary>Closes with SO_LINGER 0: the peer gets a RST, not an orderly end.</summary>
    private static void Abort(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }

        socket.Dispose();
    }
}
