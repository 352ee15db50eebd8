using System.Security.Cryptography;
using System.Text.RegularExpressions;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Network;

namespace FleetMfa.EndToEnd.Ssh;

/// <summary>
/// Debian's OpenSSH server as a private instance on a free loopback port, leaving the machine's own SSH untouched: a
/// copy of <c>/usr/sbin/sshd</c> named <c>sshd-fleetmfa-XXXX</c> (OpenSSH names its PAM service after the program,
/// so its PAM service is <c>/etc/pam.d/sshd-fleetmfa-XXXX</c>, a copy of the machine's <c>/etc/pam.d/sshd</c>), its own
/// host key, config (Debian's defaults) and <c>sshd_config.d</c>. Stopped by its PID; the PAM file is deleted after.
/// A test may give it a config that does not read <c>sshd_config.d</c> first, or that adds a <c>Match</c> block.
/// </summary>
public sealed partial class PrivateSshd : IAsyncDisposable
{
    private const string SystemSshd = "/usr/sbin/sshd";
    private static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(20);

    private ChildProcess _process = null!;

    private PrivateSshd(string directory, string serviceName, int port)
    {
        Directory = directory;
        ServiceName = serviceName;
        Port = port;
    }

    public string Directory { get; }

    public string ServiceName { get; }

    public int Port { get; }

    public string Binary => Path.Combine(Directory, ServiceName);

    public string ConfigFile => Path.Combine(Directory, "sshd_config");

    public string ConfigDirectory => Path.Combine(Directory, "sshd_config.d");

    public string PidFile => Path.Combine(Directory, "sshd.pid");

    public string HostKey => Path.Combine(Directory, "ssh_host_ed25519_key");

    public string PamServiceFile => Path.Combine("/etc/pam.d", ServiceName);

    /// <summary>The host key blob (base64, as in the <c>.pub</c> file) the client pins.</summary>
    public string HostKeyBase64 { get; private set; } = "";

    /// <summary>How often sshd said it listens: once at start, once more after every SIGHUP reload.</summary>
    public int ListenCount => ListeningLine().Count(_process.Output);

    public string Output => _process.Output;

    /// <summary>
    /// Starts one. <paramref name="includeDropIns"/> puts Debian's <c>Include sshd_config.d/*.conf</c> first;
    /// <paramref name="extraConfig"/> is appended (a <c>Match</c> block, an <c>Include</c> of its own).
    /// </summary>
    public static async Task<PrivateSshd> StartAsync(TestWorkspace workspace, string name, bool includeDropIns = true, string extraConfig = "")
    {
        ArgumentNullException.ThrowIfNull(workspace);
        if (!OperatingSystem.IsLinux() || !File.Exists(SystemSshd))
        {
            throw new InvalidOperationException($"{SystemSshd} is missing: install it with `apt-get install -y openssh-server` (deploy/test.sh does).");
        }

        var serviceName = $"sshd-fleetmfa-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        var sshd = new PrivateSshd(workspace.NewDirectory($"sshd-{name}"), serviceName, FreePorts.Next());
        System.IO.Directory.CreateDirectory(sshd.ConfigDirectory);
        File.Copy(SystemSshd, sshd.Binary);
        File.SetUnixFileMode(sshd.Binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.Copy("/etc/pam.d/sshd", sshd.PamServiceFile);
        try
        {
            await SystemCommand.RunAsync(sshd.Directory, "ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", sshd.HostKey]);
            sshd.HostKeyBase64 = (await File.ReadAllTextAsync($"{sshd.HostKey}.pub")).Split(' ')[1];
            // Debian's sshd_config, with the Include first as there, on our own port, key and files.
            await File.WriteAllTextAsync(sshd.ConfigFile, (includeDropIns ? $"Include {sshd.ConfigDirectory}/*.conf\n" : "") + $"""
                ListenAddress 127.0.0.1
                Port {sshd.Port}
                HostKey {sshd.HostKey}
                PidFile {sshd.PidFile}
                KbdInteractiveAuthentication no
                UsePAM yes
                PrintMotd no
                UseDNS no

                """ + extraConfig);
            await File.WriteAllTextAsync(sshd.KnownHostsFile, $"[127.0.0.1]:{sshd.Port} ssh-ed25519 {sshd.HostKeyBase64}\n");
            // The privilege separation directory the Debian service would create at boot.
            System.IO.Directory.CreateDirectory("/run/sshd");
            await SystemCommand.RunAsync(sshd.Directory, sshd.Binary, ["-t", "-f", sshd.ConfigFile]);
            sshd._process = ChildProcess.Start(
                sshd.Binary, ["-D", "-e", "-f", sshd.ConfigFile], sshd.Directory, new Dictionary<string, string>(), Path.Combine(sshd.Directory, "sshd.log"));
            await sshd.WaitUntilListeningAsync(1);
            return sshd;
        }
        catch
        {
            await sshd.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until sshd has said "Server listening" <paramref name="count"/> times (a reload re-execs it) and accepts connections.</summary>
    public async Task WaitUntilListeningAsync(int count)
    {
        var deadline = DateTimeOffset.UtcNow + StartupDeadline;
        while (true)
        {
            Assert.False(_process.HasExited, $"sshd exited with code {(_process.HasExited ? _process.ExitCode : 0)}:\n{_process.Tail()}");
            if (ListenCount >= count && await LoopbackPort.AcceptsConnectionsAsync(Port))
            {
                return;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"sshd did not listen (#{count}) on 127.0.0.1:{Port} within {StartupDeadline.TotalSeconds} s:\n{_process.Tail()}");
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }

    /// <summary>The environment that points an agent at this sshd (DeviceAgent settings).</summary>
    public IReadOnlyDictionary<string, string> AgentSettings(string pamModule, string agentExecutable) => new Dictionary<string, string>
    {
        ["FLEETMFA_SSH_POLICY"] = "enforce",
        ["FLEETMFA_SSHD_CONFIG_DIR"] = ConfigDirectory,
        ["FLEETMFA_SSHD_CONFIG"] = ConfigFile,
        ["FLEETMFA_SSHD_BINARY"] = Binary,
        ["FLEETMFA_SSHD_PID_FILE"] = PidFile,
        ["FLEETMFA_PAM_SERVICE_FILE"] = PamServiceFile,
        ["FLEETMFA_PAM_MODULE"] = pamModule,
        ["FLEETMFA_AGENT_EXECUTABLE"] = agentExecutable,
        ["FLEETMFA_PAM_TIMING_FILE"] = TimingFile,
        ["FLEETMFA_POLICY_CHECK_INTERVAL"] = PolicyCheckInterval.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>How often the agents of these tests check their policy (besides at start and on file changes).</summary>
    public static TimeSpan PolicyCheckInterval => TimeSpan.FromSeconds(30);

    /// <summary>A known_hosts file that pins this sshd's host key (for the OpenSSH client).</summary>
    public string KnownHostsFile => Path.Combine(Directory, "known_hosts");

    /// <summary>SIGHUP, as an admin's reload would send, and waits until sshd listens again.</summary>
    public async Task ReloadAsync()
    {
        var listens = ListenCount;
        Assert.Equal(0, NativeMethods.Kill(_process.Id, NativeMethods.SigHup));
        await WaitUntilListeningAsync(listens + 1);
    }

    /// <summary>An admin's edit of sshd_config, then a reload.</summary>
    public async Task EditConfigAsync(Func<string, string> edit)
    {
        ArgumentNullException.ThrowIfNull(edit);
        await File.WriteAllTextAsync(ConfigFile, edit(await File.ReadAllTextAsync(ConfigFile)));
        await ReloadAsync();
    }

    /// <summary>Where the PAM module appends <c>check_us verify_us result</c> per login.</summary>
    public string TimingFile => Path.Combine(Directory, "pam-timing.txt");

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        File.Delete(PamServiceFile);
    }

    [GeneratedRegex("^Server listening on ", RegexOptions.Multiline)]
    private static partial Regex ListeningLine();
}
