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
    /// <summary>Longer than the store lock's 10 s wait, so a daemon queued behind direct verifications still answers.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(12);

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
