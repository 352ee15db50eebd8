using System.Net;
using System.Net.Sockets;
using FleetMfa.Testing.Network;

namespace FleetMfa.Tests.Support;

/// <summary>The storage-outage proxy of tests/FleetMfa.Testing: forwards while open; closed, resets what it holds and what comes.</summary>
public sealed class TcpProxyTests : IAsyncLifetime, IDisposable
{
    private readonly TcpListener _target = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];
    private TcpProxy _proxy = null!;
    private Task _echo = Task.CompletedTask;

    public Task InitializeAsync()
    {
        _target.Start();
        _echo = EchoAsync();
        _proxy = TcpProxy.Start(((IPEndPoint)_target.LocalEndpoint).Port);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _target.Stop();
        await _echo;
        lock (_accepted)
        {
            _accepted.ForEach(s => s.Dispose());
        }
    }

    public void Dispose() => _target.Dispose();

    [Fact]
    public async Task An_open_proxy_forwards_both_ways()
    {
        using var client = await ConnectAsync();

        Assert.Equal("ping", await RoundTripAsync(client, "ping"));
        Assert.Equal(1, _proxy.Forwarded);
    }

    [Fact]
    public async Task Closing_resets_open_connections_and_refuses_new_ones_until_it_is_opened_again()
    {
        using var open = await ConnectAsync();
        Assert.Equal("before", await RoundTripAsync(open, "before"));

        _proxy.Close();

        await Assert.ThrowsAnyAsync<SocketException>(() => RoundTripAsync(open, "during"));
        await Assert.ThrowsAnyAsync<SocketException>(async () =>
        {
            // The kernel completes the handshake; the reset comes at once, during the connect or right after it.
            using var refused = await ConnectAsync();
            await RoundTripAsync(refused, "during");
        });

        Assert.Equal((1, 1), (_proxy.Cut, _proxy.Refused));

        _proxy.Open();

        using var again = await ConnectAsync();
        Assert.Equal("after", await RoundTripAsync(again, "after"));
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _proxy.Port);
        return socket;
    }

    /// <summary>Sends <paramref name="text"/> and reads the echo; a reset connection throws (or reads nothing).</summary>
    private static async Task<string> RoundTripAsync(Socket socket, string text)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var bytes = System.Text.Encoding.ASCII.GetBytes(text);
        await socket.SendAsync(bytes, SocketFlags.None, timeout.Token);
        var buffer = new byte[bytes.Length];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
            if (n == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            read += n;
        }

        return System.Text.Encoding.ASCII.GetString(buffer);
    }

    private async Task EchoAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _target.AcceptSocketAsync();
                lock (_accepted)
                {
                    _accepted.Add(socket);
                }

                _ = Task.Run(async () =>
                {
                    var buffer = new byte[1024];
                    try
                    {
                        int n;
                        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                        {
                            await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
                        }
                    }
                    catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                    {
                        // The proxy reset this connection, or the test is over.
                    }
                });
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The listener was stopped: the test is over.
        }
    }
}
