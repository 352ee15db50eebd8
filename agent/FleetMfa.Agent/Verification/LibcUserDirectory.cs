using System.Runtime.InteropServices;
using System.Text;

namespace FleetMfa.Agent.Verification;

/// <summary>
/// <see cref="IUserDirectory"/> through libc's <c>getpwnam_r</c> (Linux), so a name resolves exactly as it does for
/// PAM and sshd. Elsewhere every name is unknown.
/// </summary>
public sealed partial class LibcUserDirectory : IUserDirectory
{
    private const int Erange = 34;
    private const int MaxBufferBytes = 1 << 20;

    // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; char *pw_gecos; char *pw_dir; char *pw_shell; }
    // (glibc and musl): pw_uid follows two pointers, and the whole struct fits in seven pointers.
    private static readonly int _passwdBytes = 7 * IntPtr.Size;
    private static readonly int _uidOffset = 2 * IntPtr.Size;
    private static readonly UTF8Encoding _strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private LibcUserDirectory()
    {
    }

    public static LibcUserDirectory Instance { get; } = new();

    public uint? FindUid(string username)
    {
        ArgumentNullException.ThrowIfNull(username);
        if (!OperatingSystem.IsLinux() || username.Length == 0 || username.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }

        byte[] name;
        try
        {
            name = _strictUtf8.GetBytes(username + "\0");
        }
        catch (EncoderFallbackException)
        {
            // A lone surrogate names nobody; replacing it could name someone else.
            return null;
        }

        Span<byte> passwd = stackalloc byte[_passwdBytes];
        for (var size = 1024; ; size *= 4)
        {
            var buffer = new byte[size];
            var error = getpwnam_r(name, passwd, buffer, (nuint)buffer.Length, out var result);
            if (error == Erange && size < MaxBufferBytes)
            {
                continue;
            }

            if (error != 0)
            {
                throw new IOException($"the user database could not be searched (getpwnam_r: errno {error})");
            }

            return result == 0 ? null : BitConverter.ToUInt32(passwd[_uidOffset..]);
        }
    }

    [LibraryImport("libc")]
    private static partial int getpwnam_r(ReadOnlySpan<byte> name, Span<byte> passwd, Span<byte> buffer, nuint bufferLength, out nint result);
}
