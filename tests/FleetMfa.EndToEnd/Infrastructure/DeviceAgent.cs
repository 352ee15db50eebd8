using System.Text;
using System.Text.Json.Nodes;
using FleetMfa.Agent.Enrollment;
using FleetMfa.Agent.Store;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// One device's agent: the real <c>dotnet fleetmfa-agent.dll</c> with a data dir of its own, as an operator would run
/// it. Every command (and the daemon) writes its output to a log file of its own under <see cref="LogDirectory"/>.
/// </summary>
public sealed class DeviceAgent : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DaemonStopGrace = TimeSpan.FromSeconds(10);

    private readonly string _hostname;
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly List<ChildProcess> _daemons = [];
    private int _runs;

    private DeviceAgent(string root, string hostname, IReadOnlyDictionary<string, string> settings)
    {
        _hostname = hostname;
        _settings = settings;
        DataDirectory = Path.Combine(root, "data");
        LogDirectory = Path.Combine(root, "logs");
        Directory.CreateDirectory(LogDirectory);
    }

    /// <summary>The agent's <c>--data-dir</c>; created by <c>enroll</c>.</summary>
    public string DataDirectory { get; }

    /// <summary>One log file per command run and per daemon.</summary>
    public string LogDirectory { get; }

    /// <summary>Set by a successful <see cref="EnrollAsync"/>.</summary>
    public string OrgId { get; private set; } = "";

    /// <summary>The id the control plane gave the device at enrollment.</summary>
    public string DeviceId { get; private set; } = "";

    /// <summary>The daemon started last, if any.</summary>
    public ChildProcess? Daemon => _daemons.LastOrDefault();

    /// <summary>
    /// A new agent install under the workspace; <paramref name="hostname"/> is what it reports (<c>FLEETMFA_AGENT_HOSTNAME</c>).
    /// It leaves this machine's sshd and PAM alone (<c>FLEETMFA_SSH_POLICY=off</c>) unless <paramref name="settings"/>
    /// (more environment for every command) points it at a private sshd.
    /// </summary>
    public static DeviceAgent Create(TestWorkspace workspace, string hostname, IReadOnlyDictionary<string, string>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        if (!File.Exists(TestPaths.AgentAssembly))
        {
            throw new InvalidOperationException($"{TestPaths.AgentAssembly} is missing: build the solution ({TestPaths.Configuration}) first.");
        }

        return new DeviceAgent(workspace.NewDirectory($"agent-{hostname}"), hostname, settings ?? new Dictionary<string, string> { ["FLEETMFA_SSH_POLICY"] = "off" });
    }

    /// <summary>
    /// <c>enroll --server URL --connect-key KEY</c> (the silo's <see cref="SiloProcess.AgentAddress"/>, as a real
    /// agent is given); on exit 0 the device's org and id are read back from <c>status</c>.
    /// </summary>
    public async Task<AgentResult> EnrollAsync(Uri server, string connectKey, bool force = false, bool insecure = false)
    {
        ArgumentNullException.ThrowIfNull(server);
        var result = await RunAsync([
            "enroll", "--server", server.ToString(), "--connect-key", connectKey,
            .. force ? ["--force"] : Array.Empty<string>(),
            .. insecure ? ["--insecure"] : Array.Empty<string>()]);
        if (result.ExitCode == 0)
        {
            var status = await StatusAsync();
            OrgId = (string)status["orgId"]!;
            DeviceId = (string)status["deviceId"]!;
        }

        return result;
    }

    /// <summary>Enrolls and asserts that it worked.</summary>
    public async Task EnrollOrFailAsync(Uri server, string connectKey)
    {
        var result = await EnrollAsync(server, connectKey);
        Assert.True(result.ExitCode == 0, $"fleetmfa-agent enroll exited with {result.ExitCode}:\n{result.Output}");
    }

    /// <summary>Enrolls on <paramref name="silo"/>'s agent endpoint, starts the daemon and waits until the device is listed online.</summary>
    public async Task EnrollAndGoOnlineAsync(SiloProcess silo, string orgId, string connectKey)
    {
        ArgumentNullException.ThrowIfNull(silo);
        await EnrollOrFailAsync(silo.AgentAddress, connectKey);
        StartDaemon();
        await Poll.UntilAsync(
            () => silo.Admin.GetDeviceRowAsync(orgId, DeviceId),
            row => row is not null && (bool)row["online"]!,
            $"device {orgId}/{DeviceId} listed online");
    }

    /// <summary>Starts <c>run</c> (the daemon) in the background; it is stopped by <see cref="StopDaemonAsync"/> or on dispose.</summary>
    public ChildProcess StartDaemon()
    {
        Assert.True(Daemon is not { HasExited: false }, "The daemon is already running.");
        var daemon = ChildProcess.Start(
            "dotnet", [TestPaths.AgentAssembly, "run", "--data-dir", DataDirectory], TestPaths.AgentDirectory, Environment, NextLogPath("run"));
        _daemons.Add(daemon);
        return daemon;
    }

    /// <summary>SIGTERM to the daemon (it says goodbye to the broker), SIGKILL after a grace period; returns its exit code.</summary>
    public async Task<int> StopDaemonAsync()
    {
        var daemon = Daemon ?? throw new InvalidOperationException("The daemon was never started.");
        return await daemon.StopAsync(DaemonStopGrace);
    }

    /// <summary>SIGKILL to the daemon: no goodbye, the broker publishes its last will.</summary>
    public async Task KillDaemonAsync()
    {
        var daemon = Daemon ?? throw new InvalidOperationException("The daemon was never started.");
        await daemon.KillAsync();
    }

    /// <summary><c>verify --user NAME</c> with <paramref name="code"/> and a newline on stdin; returns the exit code.</summary>
    public async Task<int> VerifyAsync(string localUsername, string code) =>
        (await RunAsync(["verify", "--user", localUsername], $"{code}\n")).ExitCode;

    /// <summary><c>status</c>, asserted to exit 0; its JSON.</summary>
    public async Task<JsonNode> StatusAsync()
    {
        var result = await RunAsync(["status"]);
        Assert.True(result.ExitCode == 0, $"fleetmfa-agent status exited with {result.ExitCode}:\n{result.Output}");
        return JsonNode.Parse(result.Output) ?? throw new InvalidOperationException("status printed JSON null.");
    }

    /// <summary>The device's own broker credential, read out of its store (where the key or password is kept sealed).</summary>
    public BrokerCredential MqttCredential()
    {
        var store = new AgentStore(DataDirectory);
        var config = store.LoadConfig() ?? throw new InvalidOperationException($"No agent config in {DataDirectory}.");
        return config.MqttCertificate is { } certificate
            ? new BrokerCredential(config.Mqtt.Username, config.Mqtt.Port, null, DeviceCertificates.LoadForTls(store, certificate))
            : new BrokerCredential(config.Mqtt.Username, config.Mqtt.Port, Encoding.UTF8.GetString(store.Unprotect(config.ProtectedMqttPassword, Enroller.MqttPasswordPurpose)), null);
    }

    /// <summary>Everything every command and daemon of this agent wrote, read back from the log files.</summary>
    public string AllLogs() =>
        string.Join('\n', Directory.EnumerateFiles(LogDirectory).Order(StringComparer.Ordinal).Select(File.ReadAllText));

    public async ValueTask DisposeAsync()
    {
        foreach (var daemon in _daemons)
        {
            await daemon.DisposeAsync();
        }
    }

    private IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>(_settings) { ["FLEETMFA_AGENT_HOSTNAME"] = _hostname };

    private async Task<AgentResult> RunAsync(string[] arguments, string? standardInput = null)
    {
        await using var process = ChildProcess.Start(
            "dotnet",
            [TestPaths.AgentAssembly, .. arguments, "--data-dir", DataDirectory],
            TestPaths.AgentDirectory,
            Environment,
            NextLogPath(arguments[0]),
            standardInput);
        var exitCode = await process.WaitForExitAsync(CommandTimeout);
        return new AgentResult(exitCode, process.Output);
    }

    private string NextLogPath(string command) =>
        Path.Combine(LogDirectory, $"{Interlocked.Increment(ref _runs):D3}-{command}.log");
}
