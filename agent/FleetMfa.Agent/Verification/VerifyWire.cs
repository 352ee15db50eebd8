using System.Buffers.Binary;
using System.Text;

namespace FleetMfa.Agent.Verification;

/// <summary>
/// The wire format of the daemon's local verify socket (<see cref="SocketFileName"/> in the data directory, mode
/// 0600). One request per connection, after which the client shuts down its sending side:
/// <list type="bullet">
/// <item><c>"FMV1" | userLength:u8 | user (UTF-8) | codeLength:u8 | code (UTF-8)</c> — a login without a uid;</item>
/// <item><c>"FMV2" | userLength:u8 | user (UTF-8) | codeLength:u8 | code (UTF-8) | uid:u32 big-endian</c> — a login
/// whose uid the caller resolved (0..4294967294). A daemon of an earlier version refuses it unanswered, and the
/// client then decides directly, honouring the uid.</item>
/// </list>
/// The reply to either is <c>"FMV1" | outcome:u8</c> where the outcome is a <see cref="VerifyOutcome"/> or
/// <see cref="StoreError"/>. Anything else is refused without a reply.
/// </summary>
public static class VerifyWire
{
    public const string SocketFileName = "verify.sock";

    /// <summary>The longest <c>--user</c> the CLI takes, in characters (DESIGN §5 usernames are 1–64).</summary>
    public const int MaxUserChars = 64;

    public const int MaxUserBytes = MaxUserChars * 3;

    /// <summary>The CLI reads at most 16 characters of a code; anything longer is never sent.</summary>
    public const int MaxCodeBytes = 16 * 3;

    public const int UidBytes = 4;

    /// <summary>The largest uid a login can have: <c>(uid_t)-1</c> is "no user" to the kernel.</summary>
    public const uint MaxUid = uint.MaxValue - 1;

    public const int MaxRequestBytes = 4 + 1 + MaxUserBytes + 1 + MaxCodeBytes + UidBytes;

    public const int ReplyBytes = 5;

    /// <summary>The daemon could not read its store; the client decides directly and reports the error itself.</summary>
    public const byte StoreError = 2;

    /// <summary>The longest path a Unix-domain socket address holds (<c>sun_path</c> is 108 bytes with its NUL).</summary>
    public const int MaxSocketPathBytes = 107;

    private static readonly UTF8Encoding _strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A request without a uid, and every reply.</summary>
    private static ReadOnlySpan<byte> Magic => "FMV1"u8;

    /// <summary>A request with a uid.</summary>
    private static ReadOnlySpan<byte> MagicWithUid => "FMV2"u8;

    public static string SocketPath(string dataDirectory) => Path.Combine(dataDirectory, SocketFileName);

    /// <summary>Whether <paramref name="path"/> fits a Unix-domain socket address.</summary>
    public static bool FitsSocketAddress(string path) => Encoding.UTF8.GetByteCount(path) <= MaxSocketPathBytes;

    /// <summary>An <c>FMV1</c> request (no uid); see <see cref="EncodeRequest(string, uint?, string)"/>.</summary>
    public static byte[]? EncodeRequest(string user, string code) => EncodeRequest(user, null, code);

    /// <summary>
    /// The request bytes (<c>FMV2</c> with a uid, <c>FMV1</c> without), or <c>null</c> when the user, uid or code cannot
    /// travel (the caller then decides directly).
    /// </summary>
    public static byte[]? EncodeRequest(string user, uint? uid, string code)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(code);
        if (user.Length is 0 or > MaxUserChars || code.Length > 16 || uid > MaxUid)
        {
            return null;
        }

        byte[] userBytes, codeBytes;
        try
        {
            userBytes = _strictUtf8.GetBytes(user);
            codeBytes = _strictUtf8.GetBytes(code);
        }
        catch (EncoderFallbackException)
        {
            // A lone surrogate: not representable on the wire.
            return null;
        }

        var request = new byte[Magic.Length + 1 + userBytes.Length + 1 + codeBytes.Length + (uid is null ? 0 : UidBytes)];
        var span = request.AsSpan();
        (uid is null ? Magic : MagicWithUid).CopyTo(span);
        span[4] = (byte)userBytes.Length;
        userBytes.CopyTo(span[5..]);
        span[5 + userBytes.Length] = (byte)codeBytes.Length;
        codeBytes.CopyTo(span[(6 + userBytes.Length)..]);
        if (uid is { } value)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span[^UidBytes..], value);
        }

        return request;
    }

    /// <summary>Parses a complete request; <c>false</c> for anything that is not exactly one well-formed request.</summary>
    public static bool TryDecodeRequest(ReadOnlySpan<byte> data, out string user, out uint? uid, out string code)
    {
        user = code = "";
        uid = null;
        var withUid = data.StartsWith(MagicWithUid);
        if (data.Length < Magic.Length + 2 || data.Length > MaxRequestBytes || !(withUid || data.StartsWith(Magic)))
        {
            return false;
        }

        int userLength = data[4];
        if (userLength is 0 or > MaxUserBytes || data.Length < 6 + userLength)
        {
            return false;
        }

        int codeLength = data[5 + userLength];
        if (codeLength > MaxCodeBytes || data.Length != 6 + userLength + codeLength + (withUid ? UidBytes : 0))
        {
            return false;
        }

        if (withUid)
        {
            var value = BinaryPrimitives.ReadUInt32BigEndian(data[^UidBytes..]);
            if (value > MaxUid)
            {
                return false;
            }

            uid = value;
        }

        try
        {
            user = _strictUtf8.GetString(data.Slice(5, userLength));
            code = _strictUtf8.GetString(data.Slice(6 + userLength, codeLength));
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        return user.Length <= MaxUserChars && code.Length <= 16;
    }

    public static byte[] EncodeReply(byte outcome)
    {
        var reply = new byte[ReplyBytes];
        Magic.CopyTo(reply);
        reply[4] = outcome;
        return reply;
    }

    /// <summary>The daemon's decision, or <c>null</c> for a store error or anything malformed.</summary>
    public static VerifyOutcome? TryDecodeReply(ReadOnlySpan<byte> data)
    {
        if (data.Length != ReplyBytes || !data.StartsWith(Magic))
        {
            return null;
        }

        return data[4] switch
        {
            (byte)VerifyOutcome.Accepted => VerifyOutcome.Accepted,
            (byte)VerifyOutcome.NotRequired => VerifyOutcome.NotRequired,
            (byte)VerifyOutcome.Rejected => VerifyOutcome.Rejected,
            (byte)VerifyOutcome.Replayed => VerifyOutcome.Replayed,
            (byte)VerifyOutcome.LockedOut => VerifyOutcome.LockedOut,
            _ => null,
        };
    }
}
