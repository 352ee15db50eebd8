using System.Runtime.InteropServices;

namespace FleetMfa.EndToEnd.Infrastructure;

internal static class NativeMethods
{
    public const int SigHup = 1;
    public const int SigTerm = 15;

    /// <summary>POSIX <c>kill(2)</c>: .NET can only SIGKILL a child, and a graceful stop needs SIGTERM.</summary>
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Kill(int pid, int signal);
}
