using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Verification;
using Microsoft.Extensions.Logging;

namespace FleetMfa.Agent.Daemon;

/// <summary>
/// The daemon's local verify socket (<see cref="VerifyWire"/>): <c>verify</c> sends a user and a code, the daemon
/// decides with the same <see cref="CodeVerifier"/> a direct <c>verify</c> runs — same store lock, ledger and audit
/// queue, so replay and lockout hold across both paths — but from its already-decrypted state, so the caller needs
/// neither the store key nor any cryptography. A request may carry the login's uid (<c>FMV2</c>); the daemon matches it
/// to a bound user exactly as a direct <c>verify --uid</c> does. A store that cannot be read or holds no applied state
/// is answered with <see cref="VerifyWire.StoreError"/>, never a decision. The socket is 0600 in the 0700 data
/// directory, and every connection's peer is checked with <c>SO_PEERCRED</c>: only root and the daemon's own user are
/// served. Malformed, oversized, slow or refused requests are closed without a reply (the caller then decides
/// directly). No code is ever logged.
/// </summary>
public sealed partial class VerifyServer : IAsyncDisposable
{
    public const int DefaultMaxConnections = 16;
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(2);

    private readonly AgentStore _store;
    private readonly ISecretStore _secrets;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<uint, bool> _isAllowedUser;
    private readonly int _maxConnections;
    private readonly TimeSpan _requestTimeout;
    private readonly IUserDirectory _users;
    private readonly string? _bootId = KernelBootId.Current;
    private readonly SemaphoreSlim _decide = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _handlers = [];
    private Socket? _listener;
    private Task? _acceptLoop;
    private int _active;
    private int _served;
    private int _refused;

    /// <summary>
    /// A server for the store's socket; <paramref name="isAllowedUser"/> says which peer uids are served (by default root
    /// and this process's effective user), <paramref name="users"/> resolves bound users' names for a request with a uid
    /// (by default the system's user database).
    /// </summary>
    public VerifyServer(
        AgentStore store,
        ISecretStore secrets,
        TimeProvider time,
        ILogger logger,
        Func<uint, bool>? isAllowedUser = null,
        int maxConnections = DefaultMaxConnections,
        TimeSpan? requestTimeout = null,
        IUserDirectory? users = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _secrets = secrets;
        _time = time;
        _logger = logger;
        _isAllowedUser = isAllowedUser ?? OwnerOrRoot();
        _maxConnections = maxConnections;
        _requestTimeout = requestTimeout ?? DefaultRequestTimeout;
        _users = users ?? LibcUserDirectory.Instance;
        SocketPath = VerifyWire.SocketPath(store.DataDirectory);
    }

    public string SocketPath { get; }

    /// <summary>Requests answered with a decision.</summary>
    public int Served => Volatile.Read(ref _served);

    /// <summary>Connections closed without a decision: refused peers, malformed, oversized or slow requests, overload.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Root, and the user this process runs as (the data directory's owner).</summary>
    public static Func<uint, bool> OwnerOrRoot()
    {
        var self = PeerCredentials.EffectiveUserId();
        return uid => uid == 0 || uid == self;
    }

    /// <summary>Binds the socket and starts accepting; <c>false</c> (logged) when it cannot, and verify then decides directly.</summary>
    public bool Start()
    {
        if (!OperatingSystem.IsLinux())
        {
            LogNotListening(_logger, "peer credentials are only checked on Linux");
            return false;
        }

        if (!VerifyWire.FitsSocketAddress(SocketPath))
        {
            LogNotListening(_logger, $"the path {SocketPath} is too long for a socket");
            return false;
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            // A socket left by a daemon that did not stop cleanly; the directory is 0700, so it is ours to replace.
            File.Delete(SocketPath);
            listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
            File.SetUnixFileMode(SocketPath, AtomicFile.OwnerOnly);
            listener.Listen(32);
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            listener.Dispose();
            LogNotListening(_logger, ex.Message);
            return false;
        }

        _listener = listener;
        _acceptLoop = AcceptLoopAsync(listener, _stopping.Token);
        LogListening(_logger, SocketPath);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_listener is { } listener)
        {
            listener.Dispose();
            await (_acceptLoop ?? Task.CompletedTask);
            Task[] handlers;
            lock (_handlers)
            {
                handlers = [.. _handlers];
            }

            // Each handler closes its own connection whatever happens; none of them may keep the daemon from stopping.
            await Task.WhenAll(handlers).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            File.Delete(SocketPath);
        }

        _stopping.Dispose();
        _decide.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex)
            {
                // Out of descriptors or similar: back off a little rather than spin.
                LogNotListening(_logger, ex.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            if (Interlocked.Increment(ref _active) > _maxConnections)
            {
                Interlocked.Decrement(ref _active);
                LogBusy(_logger, _maxConnections);
                Refuse(client);
                continue;
            }

            lock (_handlers)
            {
                _handlers.RemoveAll(t => t.IsCompleted);
                _handlers.Add(HandleAsync(client, cancellationToken));
            }
        }
    }

    private async Task HandleAsync(Socket client, CancellationToken cancellationToken)
    {
        // The code travels in this buffer: wiped whatever happens.
        var buffer = new byte[VerifyWire.MaxRequestBytes + 1];
        try
        {
            if (PeerCredentials.Of(client) is not { } peer)
            {
                LogUnknownPeer(_logger);
                Refuse(client);
                return;
            }

            if (!_isAllowedUser(peer.UserId))
            {
                LogRefusedPeer(_logger, peer.UserId, peer.ProcessId);
                Refuse(client);
                return;
            }

            var length = 0;
            using (var timeout = new CancellationTokenSource(_requestTimeout, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken))
            {
                try
                {
                    int read;
                    while (length < buffer.Length && (read = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, linked.Token)) > 0)
                    {
                        length += read;
                    }
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    LogTimedOut(_logger, _requestTimeout.TotalSeconds, peer.ProcessId);
                    Refuse(client);
                    return;
                }
            }

            if (!VerifyWire.TryDecodeRequest(buffer.AsSpan(0, length), out var user, out var uid, out var code))
            {
                LogMalformed(_logger, length, peer.ProcessId);
                Refuse(client);
                return;
            }

            var outcome = await DecideAsync(user, uid, code, cancellationToken);
            await client.SendAsync(VerifyWire.EncodeReply(outcome), SocketFlags.None, cancellationToken);
            Interlocked.Increment(ref _served);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The daemon is stopping or the client went away; it decides directly if it is still there.
        }
        finally
        {
            client.Dispose();
            CryptographicOperations.ZeroMemory(buffer);
            Interlocked.Decrement(ref _active);
        }
    }

    private async Task<byte> DecideAsync(string user, uint? uid, string code, CancellationToken cancellationToken)
    {
        // One decision at a time in this process; the store lock serializes us with direct verify processes.
        await _decide.WaitAsync(cancellationToken);
        try
        {
            if (_store.LoadConfig() is not { } config)
            {
                LogStoreError(_logger, "the agent is not enrolled");
                return VerifyWire.StoreError;
            }

            return (byte)new CodeVerifier(_store, _secrets, config.Verification, _time, _users, _bootId).Verify(user, uid, code);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or JsonException or InvalidOperationException)
        {
            LogStoreError(_logger, ex.Message);
            return VerifyWire.StoreError;
        }
        finally
        {
            _decide.Release();
        }
    }

    private void Refuse(Socket client)
    {
        Interlocked.Increment(ref _refused);
        client.Dispose();
    }
}
