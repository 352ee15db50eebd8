using System.Text;

namespace FleetMfa.Agent.Verification;

/// <summary>
/// Asks the running daemon to decide a code over its local socket, so that <c>verify</c> needs neither the store's
/// key nor any cryptography. The daemon takes the same store lock as a direct decision, so replay and lockout hold
/// across both paths. When no daemon answers — no socket, nobody listening, a refusal, a timeout, a store error —
/// the caller decides directly from the store: at worst a code the daemon already took is then refused as a replay,
/// never accepted twice.
/// </summary>
public static class VerifyClient
{
    /// <summary>
    /// How long <c>pam_fleetmfa</c> lets <c>verify</c> run before it kills it and denies the login (its <c>timeout=</c>
    /// default). Whatever <c>verify</c> waits for — the daemon (<see cref="DefaultTimeout"/>), then the store lock
    /// (<c>AgentStore.LockWait</c>) for a direct decision — must add up to less, or the direct decision never runs.
    /// </summary>
    public static readonly TimeSpan PamModuleTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The whole exchange with the daemon — connect, send, answer — is bounded by this; then <c>verify</c> decides
    /// directly. A daemon that is slower than this (queued behind the store lock) loses the race to the direct path.
    /// </summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The daemon's decision, or <c>null</c> when the caller must decide directly.</summary>
    public static VerifyOutcome? TryVerify(string dataDirectory, string user, uint? uid, string code, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        var path = VerifyWire.SocketPath(dataDirectory);
        if (!OperatingSystem.IsLinux() || !VerifyWire.FitsSocketAddress(path) || !File.Exists(path) ||
            VerifyWire.EncodeRequest(user, uid, code) is not { } request)
        {
            return null;
        }

        Span<byte> reply = stackalloc byte[VerifyWire.ReplyBytes + 1];
        var length = LibcSocket.Exchange(Encoding.UTF8.GetBytes(path), request, reply, timeout);
        return length < 0 ? null : VerifyWire.TryDecodeReply(reply[..length]);
    }
}
