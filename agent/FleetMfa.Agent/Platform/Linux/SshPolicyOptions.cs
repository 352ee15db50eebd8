namespace FleetMfa.Agent.Platform.Linux;

/// <summary>
/// Where the agent finds sshd and PAM, so tests (and unusual installs) can point it at a private sshd. Read from the
/// environment by <see cref="FromEnvironment"/>; every default is Debian's layout.
/// </summary>
public sealed class SshPolicyOptions
{
    /// <summary><c>FLEETMFA_SSH_POLICY</c>: <c>enforce</c> (default) writes the sshd drop-in and the PAM line; <c>off</c> leaves sshd and PAM alone.</summary>
    public bool Enforce { get; init; } = true;

    /// <summary><c>FLEETMFA_SSHD_CONFIG_DIR</c>: the directory sshd's <c>Include</c> reads (default <c>/etc/ssh/sshd_config.d</c>).</summary>
    public string SshdConfigDirectory { get; init; } = "/etc/ssh/sshd_config.d";

    /// <summary>The drop-in's file name; <c>00-</c> so it sorts first (sshd keeps the first value it reads for a keyword).</summary>
    public string DropInName { get; init; } = "00-fleetmfa.conf";

    /// <summary><c>FLEETMFA_SSHD_CONFIG</c>: the main config, checked with <c>sshd -t -f</c> before a reload (default <c>/etc/ssh/sshd_config</c>).</summary>
    public string SshdConfigFile { get; init; } = "/etc/ssh/sshd_config";

    /// <summary><c>FLEETMFA_SSHD_BINARY</c> (default <c>/usr/sbin/sshd</c>).</summary>
    public string SshdBinary { get; init; } = "/usr/sbin/sshd";

    /// <summary>
    /// <c>FLEETMFA_SSH_CLIENT</c>: the OpenSSH client that asks the running sshd which methods it offers, to prove a
    /// reload took effect (default <c>/usr/bin/ssh</c>; Debian's openssh-server depends on it). Missing: not asked.
    /// </summary>
    public string SshClientBinary { get; init; } = "/usr/bin/ssh";

    /// <summary>How long the running sshd may take to offer the policy's methods after its reload before the change fails.</summary>
    public TimeSpan ReloadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>FLEETMFA_SSHD_PID_FILE</c>: the running sshd gets SIGHUP after its config changed (default <c>/run/sshd.pid</c>).</summary>
    public string SshdPidFile { get; init; } = "/run/sshd.pid";

    /// <summary><c>FLEETMFA_PAM_SERVICE_FILE</c>: sshd's PAM service (default <c>/etc/pam.d/sshd</c>).</summary>
    public string PamServiceFile { get; init; } = "/etc/pam.d/sshd";

    /// <summary><c>FLEETMFA_PAM_MODULE</c>: the built <c>pam_fleetmfa.so</c> (deploy/pam).</summary>
    public string PamModule { get; init; } = "/usr/lib/x86_64-linux-gnu/security/pam_fleetmfa.so";

    /// <summary><c>FLEETMFA_AGENT_EXECUTABLE</c>: what the PAM module runs (default: this agent's own executable).</summary>
    public string AgentExecutable { get; init; } = DefaultAgentExecutable();

    /// <summary>The agent's data directory, passed to the module as <c>data_dir=</c>.</summary>
    public required string DataDirectory { get; init; }

    /// <summary><c>FLEETMFA_PAM_TIMING_FILE</c>: when set, the module appends its own timing per login there (measurements).</summary>
    public string? PamTimingFile { get; init; }

    /// <summary>Where originals are kept before the agent changes them (default <c>DATA_DIR/backup</c>).</summary>
    public string BackupDirectory => Path.Combine(DataDirectory, "backup");

    public string DropInPath => Path.Combine(SshdConfigDirectory, DropInName);

    public static SshPolicyOptions FromEnvironment(string dataDirectory)
    {
        static string Get(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
        var defaults = new SshPolicyOptions { DataDirectory = dataDirectory };
        var policy = Get("FLEETMFA_SSH_POLICY", "enforce");
        return new SshPolicyOptions
        {
            Enforce = policy switch
            {
                "enforce" => true,
                "off" => false,
                _ => throw new InvalidOperationException($"FLEETMFA_SSH_POLICY must be 'enforce' or 'off', not '{policy}'"),
            },
            SshdConfigDirectory = Get("FLEETMFA_SSHD_CONFIG_DIR", defaults.SshdConfigDirectory),
            SshdConfigFile = Get("FLEETMFA_SSHD_CONFIG", defaults.SshdConfigFile),
            SshdBinary = Get("FLEETMFA_SSHD_BINARY", defaults.SshdBinary),
            SshdPidFile = Get("FLEETMFA_SSHD_PID_FILE", defaults.SshdPidFile),
            SshClientBinary = Get("FLEETMFA_SSH_CLIENT", defaults.SshClientBinary),
            PamServiceFile = Get("FLEETMFA_PAM_SERVICE_FILE", defaults.PamServiceFile),
            PamModule = Get("FLEETMFA_PAM_MODULE", defaults.PamModule),
            AgentExecutable = Get("FLEETMFA_AGENT_EXECUTABLE", defaults.AgentExecutable),
            PamTimingFile = Environment.GetEnvironmentVariable("FLEETMFA_PAM_TIMING_FILE") is { Length: > 0 } timing ? timing : null,
            DataDirectory = Path.GetFullPath(dataDirectory),
        };
    }

    /// <summary>The NativeAOT binary or the apphost; never the <c>dotnet</c> host a framework-dependent run shows as the process.</summary>
    private static string DefaultAgentExecutable() =>
        Environment.ProcessPath is { } process && Path.GetFileNameWithoutExtension(process) == "fleetmfa-agent"
            ? process
            : Path.Combine(AppContext.BaseDirectory, "fleetmfa-agent");
}
