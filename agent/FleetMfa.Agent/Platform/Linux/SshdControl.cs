using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace FleetMfa.Agent.Platform.Linux;

/// <summary>
/// The running OpenSSH server, as the agent asks it: <c>sshd -t</c> (is the configuration valid), <c>sshd -T -C</c> (what
/// the configuration means for one connection), SIGHUP through the pid file (re-read it), and the methods a fresh
/// connection is offered — asked of the <em>running</em> daemon with the OpenSSH client, which proves that a reload
/// really happened rather than that the files say it should have.
/// </summary>
public sealed class SshdControl(SshPolicyOptions options)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The user name the method probe logs in as; it never gets past the first request.</summary>
    public const string ProbeUser = "fleetmfa-probe";

    public bool IsInstalled => File.Exists(options.SshdBinary);

    /// <summary><c>sshd -t -f CONFIG</c>: null when sshd accepts the configuration, else what it said.</summary>
    public string? CheckConfig()
    {
        var (exit, _, errors) = Run(options.SshdBinary, ["-t", "-f", options.SshdConfigFile]);
        return exit == 0 ? null : Shorten(errors);
    }

    /// <summary>
    /// <c>sshd -T -C user=USER,host=…,addr=…</c>: the effective configuration a connection by <paramref name="user"/>
    /// from the loopback address gets, <c>Match</c> blocks included. Throws <see cref="PolicyException"/> when sshd
    /// cannot say (an invalid configuration).
    /// </summary>
    public EffectiveSshdConfig Effective(string user)
    {
        var (exit, output, errors) = Run(options.SshdBinary, ["-T", "-f", options.SshdConfigFile, "-C", $"user={user},host=localhost,addr=127.0.0.1"]);
        return exit == 0
            ? EffectiveSshdConfig.Parse(output)
            : throw new PolicyException($"{PolicyCodes.SshPolicyNotEffective}: sshd -T failed: {Shorten(errors)}");
    }

    /// <summary>The pid of the running sshd from its pid file, or null when none is running.</summary>
    public int? RunningPid()
    {
        if (ManagedFiles.ReadOrNull(options.SshdPidFile) is not { } content ||
            !int.TryParse(Encoding.ASCII.GetString(content).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 1 ||
            !Directory.Exists($"/proc/{pid}"))
        {
            return null;
        }

        return pid;
    }

    /// <summary>
    /// SIGHUP to the running sshd, which re-executes itself and reads its configuration again — and waits until it has:
    /// its listening sockets are new ones (it closes them before the exec and opens them after reading the
    /// configuration). A SIGHUP that reaches sshd while it is still restarting is lost, so two reloads in a row must not
    /// overlap; one that shows no effect by half of <see cref="SshPolicyOptions.ReloadTimeout"/> is sent once more.
    /// False when no sshd runs. Throws <see cref="PolicyException"/> when it did not restart in time.
    /// </summary>
    public bool Reload()
    {
        if (RunningPid() is not { } pid)
        {
            return false;
        }

        var before = Sockets(pid);
        if (LibC.Kill(pid, LibC.SigHup) != 0)
        {
            return false;
        }

        if (before is not { Count: > 0 })
        {
            // Nothing to watch (not our kind of sshd, or /proc hidden): the signal is all we can do.
            return true;
        }

        var waited = Stopwatch.StartNew();
        var resent = false;
        while (Sockets(pid) is not { Count: > 0 } now || now.Overlaps(before))
        {
            if (!Directory.Exists($"/proc/{pid}"))
            {
                // It died restarting (its new configuration was refused at start): no SSH login at all.
                return true;
            }

            if (!resent && waited.Elapsed >= options.ReloadTimeout / 2)
            {
                resent = LibC.Kill(pid, LibC.SigHup) == 0;
            }

            if (waited.Elapsed >= options.ReloadTimeout)
            {
                throw new PolicyException($"sshd (pid {pid}) did not restart within {options.ReloadTimeout.TotalSeconds:0} s of SIGHUP");
            }

            Thread.Sleep(TimeSpan.FromMilliseconds(20));
        }

        return true;
    }

    /// <summary>The inodes of the sockets <paramref name="pid"/> holds (<c>/proc/PID/fd</c>), or null when they cannot be read.</summary>
    private static HashSet<string>? Sockets(int pid)
    {
        try
        {
            var sockets = new HashSet<string>(StringComparer.Ordinal);
            foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:", StringComparison.Ordinal))
                    {
                        sockets.Add(target);
                    }
                }
                catch (IOException)
                {
                    // The descriptor closed while we looked.
                }
            }

            return sockets;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The authentication methods the running sshd offers a new connection before any credential (<c>ssh</c> with
    /// <c>PreferredAuthentications=none</c> prints them in its refusal), or null when no client is installed or nothing
    /// answered at <paramref name="endpoint"/>.
    /// </summary>
    public IReadOnlyList<string>? OfferedMethods((string Host, int Port) endpoint)
    {
        if (!File.Exists(options.SshClientBinary))
        {
            return null;
        }

        var (_, _, errors) = Run(options.SshClientBinary,
        [
            "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", "PreferredAuthentications=none", "-o", "ConnectTimeout=5",
            "-o", "LogLevel=ERROR", "-p", endpoint.Port.ToString(CultureInfo.InvariantCulture), "-l", ProbeUser, endpoint.Host, "true",
        ]);
        const string Denied = "Permission denied (";
        var at = errors.IndexOf(Denied, StringComparison.Ordinal);
        var end = at < 0 ? -1 : errors.IndexOf(')', at);
        return end < 0 ? null : errors[(at + Denied.Length)..end].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static (int Exit, string Output, string Errors) Run(string binary, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new PolicyException($"{binary} did not start");
        process.StandardInput.Close();
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(CommandTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new PolicyException($"{binary} did not finish within {CommandTimeout.TotalSeconds} s");
        }

        return (process.ExitCode, output.GetAwaiter().GetResult(), errors.GetAwaiter().GetResult());
    }

    private static string Shorten(string message)
    {
        message = message.Trim();
        return message.Length > 300 ? message[..300] : message;
    }
}
