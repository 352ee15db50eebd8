using System.Runtime.InteropServices;

namespace FleetMfa.Silo.Mqtt;

/// <summary>Asks Mosquitto to reload its files: SIGHUP to the process its <c>pid_file</c> names.</summary>
public static partial class MosquittoSignal
{
    private const int SIGHUP = 1;

    /// <summary>Sends the reload; throws when the pid file names no process this one may signal. Returns the broker's pid.</summary>
    public static async Task<int> ReloadAsync(string pidFile, CancellationToken cancellationToken)
    {
        var pidText = await File.ReadAllTextAsync(pidFile, cancellationToken);
        if (!int.TryParse(pidText.Trim(), out var pid) || pid <= 1)
        {
            throw new InvalidOperationException($"Mosquitto's pid file {pidFile} does not hold a process id.");
        }

        if (Kill(pid, SIGHUP) != 0)
        {
            throw new InvalidOperationException($"Could not signal Mosquitto (pid {pid}) to reload: errno {Marshal.GetLastPInvokeError()}.");
        }

        return pid;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
