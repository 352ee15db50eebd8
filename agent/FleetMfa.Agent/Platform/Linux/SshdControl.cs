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

    /// <summary>SIGHUP to the running sshd (it re-executes itself and reads its configuration again); false when none runs.</summary>
    public bool Reload()
    {
        return RunningPid() is { } pid && LibC.Kill(pid, LibC.SigHup) == 0;
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
