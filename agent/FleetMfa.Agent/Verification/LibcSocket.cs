using System.Runtime.InteropServices;

namespace FleetMfa.Agent.Verification;

/// <summary>
/// A blocking Unix-domain stream socket straight from libc (Linux), for the one exchange <c>verify</c> makes with the
/// daemon. <see cref="System.Net.Sockets.Socket"/> would start the runtime's socket engine thread and probe the
/// address families first: a thread handoff on every PAM login, which a busy machine turns into milliseconds.
/// </summary>
internal static partial class LibcSocket
{
    private const int AfUnix = 1;
    private const int SockStream = 1;
    private const int SockCloexec = 0x80000;
    private const int SolSocket = 1;
    private const int SoRcvTimeo = 20;
    private const int SoSndTimeo = 21;
    private const int ShutWr = 1;
    private const int Eintr = 4;
    private const int SunPathBytes = 108;

    /// <summary>Connects to <paramref name="pathBytes"/> (UTF-8, no NUL), sends <paramref name="request"/>, shuts down the
    /// sending side and reads what comes back into <paramref name="reply"/>; the number of bytes read, or -1 on any error.
    /// <paramref name="timeout"/> bounds the whole exchange, not each call: every blocking call gets what is left of it.</summary>
    public static int Exchange(ReadOnlySpan<byte> pathBytes, ReadOnlySpan<byte> request, Span<byte> reply, TimeSpan timeout)
    {
        if (pathBytes.Length >= SunPathBytes)
        {
            return -1;
        }

        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var fd = socket(AfUnix, SockStream | SockCloexec, 0);
        if (fd < 0)
        {
            return -1;
        }

        try
        {
            // struct sockaddr_un: sa_family_t (host order), then the NUL-terminated path.
            Span<byte> address = stackalloc byte[2 + SunPathBytes];
            address.Clear();
            BitConverter.TryWriteBytes(address, (ushort)AfUnix);
            pathBytes.CopyTo(address[2..]);

            // A Unix-domain connect waits for room in a full backlog for as long as the send timeout allows.
            if (!LimitTo(fd, SoSndTimeo, deadline) || connect(fd, address, 2 + pathBytes.Length + 1) != 0)
            {
                // Nobody listening (a stale socket), refused, or interrupted: the caller decides directly.
                return -1;
            }

            var sent = 0;
            while (sent < request.Length)
            {
                if (!LimitTo(fd, SoSndTimeo, deadline))
                {
                    return -1;
                }

                var n = send(fd, request[sent..], request.Length - sent, 0);
                if (n < 0 && Marshal.GetLastPInvokeError() == Eintr)
                {
                    continue;
                }

                if (n <= 0)
                {
                    return -1;
                }

                sent += (int)n;
            }

            if (shutdown(fd, ShutWr) != 0)
            {
                return -1;
            }

            var length = 0;
            while (length < reply.Length)
            {
                if (!LimitTo(fd, SoRcvTimeo, deadline))
                {
                    return -1;
                }

                var n = recv(fd, reply[length..], reply.Length - length, 0);
                if (n < 0 && Marshal.GetLastPInvokeError() == Eintr)
                {
                    continue;
                }

                if (n < 0)
                {
                    return -1;
                }

                if (n == 0)
                {
                    break;
                }

                length += (int)n;
            }

            return length;
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>Sets the socket's send or receive timeout to what is left until <paramref name="deadline"/>; <c>false</c> once nothing is left.</summary>
    private static bool LimitTo(int fd, int option, long deadline)
    {
        var left = deadline - Environment.TickCount64;
        if (left <= 0)
        {
            return false;
        }

        // struct timeval { time_t tv_sec; suseconds_t tv_usec; } (64-bit); never all zero, which would mean "no timeout".
        Span<long> timeval = [left / 1000, left % 1000 * 1000];
        var timevalBytes = MemoryMarshal.AsBytes(timeval);
        return setsockopt(fd, SolSocket, option, timevalBytes, timevalBytes.Length) == 0;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setsockopt(int fd, int level, int name, ReadOnlySpan<byte> value, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int connect(int fd, ReadOnlySpan<byte> address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int fd, ReadOnlySpan<byte> buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recv(int fd, Span<byte> buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int shutdown(int fd, int how);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
