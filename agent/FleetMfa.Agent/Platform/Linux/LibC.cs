using System.Runtime.InteropServices;

namespace FleetMfa.Agent.Platform.Linux;

internal static class LibC
{
    public const int SigHup = 1;

    /// <summary>POSIX <c>kill(2)</c>: SIGHUP makes sshd re-read its configuration.</summary>
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Kill(int pid, int signal);
}
