using System.Security.Cryptography;
using FleetMfa.Testing.Network;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// Debian's Mosquitto as the external broker, set up the way <c>fm_start_mosquitto</c> in deploy/lib.sh does it: the
/// config from <c>deploy/mosquitto/fleetmfa.conf.template</c>, its pattern ACL, a password file holding only the
/// bridge account (the silo appends device accounts), a <c>user</c> line for whoever runs the tests, and the per-client
/// rate limit (<see cref="LimitsPlugin"/>; no Mosquitto starts here without it). Listens on a free loopback port; stopped
/// by its PID. For a cluster it holds one bridge account per silo, named as
/// <c>fm_bridge_account</c> names them (Mosquitto ties a client id to its username: two silos on one account would
/// keep taking each other's session over).
/// </summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    public const string BridgeUsername = "fleetmfa-bridge";

    /// <summary>A read-only account on every device's desired topic (not in deploy/: only tests watch what the silo publishes).</summary>
    public const string ObserverUsername = "fleetmfa-observer";

    /// <summary>
    /// An account that may read and write every device's desired and receipts topics and nothing else: what a leaked
    /// account with write access gives an attacker (not in deploy/: only tests forge desired states and receipts).
    /// </summary>
    public const string WriterUsername = "fleetmfa-writer";

    /// <summary>The variable deploy/test.sh exports: the <c>fleetmfa_limits.so</c> it built (deploy/mosquitto/plugin).</summary>
    public const string LimitsPluginVariable = "FLEETMFA_TEST_MOSQUITTO_PLUGIN";

    private const string Executable = "/usr/sbin/mosquitto";
    private const string LineBuffered = "/usr/bin/stdbuf";
    private static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(15);

    private readonly string _logDirectory;
    private ChildProcess _process = null!;
    private int _starts;

    private readonly IReadOnlyList<string> _bridgePasswords;

    private MosquittoBroker(string directory, int port, IReadOnlyList<string> bridgePasswords, string? observerPassword, string? writerPassword, string logDirectory)
    {
        Directory = directory;
        Port = port;
        _bridgePasswords = bridgePasswords;
        ObserverPassword = observerPassword;
        WriterPassword = writerPassword;
        _logDirectory = logDirectory;
    }

    /// <summary>The password of <see cref="ObserverUsername"/>; null unless the broker was started with an observer.</summary>
    public string? ObserverPassword { get; }

    /// <summary>The password of <see cref="WriterUsername"/>; null unless the broker was started with a writer.</summary>
    public string? WriterPassword { get; }

    /// <summary>Holds <c>mosquitto.conf</c>, <c>acl</c>, <c>passwd</c>, <c>mosquitto.pid</c> and the persistence file.</summary>
    public string Directory { get; }

    public int Port { get; }

    /// <summary>The first silo's bridge password.</summary>
    public string BridgePassword => _bridgePasswords[0];

    /// <summary>How many bridge accounts the broker holds (one per silo).</summary>
    public int Bridges => _bridgePasswords.Count;

    public string PasswordFile => Path.Combine(Directory, "passwd");

    public string PidFile => Path.Combine(Directory, "mosquitto.pid");

    /// <summary>Where Mosquitto saves retained messages and sessions (on shutdown, or every <c>autosave_interval</c>).</summary>
    public string PersistenceFile => Path.Combine(Directory, "mosquitto.db");

    /// <summary>The running broker process (a new one after <see cref="RestartAsync"/>).</summary>
    public ChildProcess Process => _process;

    /// <summary>The variables deploy/lib.sh exports for the silo.</summary>
    public IReadOnlyDictionary<string, string> SiloEnvironment => SiloEnvironmentFor(1);

    /// <summary>
    /// The per-client rate limit every Mosquitto of the tests loads, as the template's <c>plugin</c> line asks: the build
    /// deploy/test.sh made. Without it the tests do not start Mosquitto at all rather than one without the limit.
    /// </summary>
    public static string LimitsPlugin =>
        Environment.GetEnvironmentVariable(LimitsPluginVariable) is { Length: > 0 } path && File.Exists(path)
            ? path
            : throw new InvalidOperationException(
                $"{LimitsPluginVariable} does not name a built fleetmfa_limits.so ('{Environment.GetEnvironmentVariable(LimitsPluginVariable)}'): " +
                $"run the tests with deploy/test.sh, which builds it, or run deploy/mosquitto/plugin/build.sh and export " +
                $"{LimitsPluginVariable}=$PWD/deploy/.out/mosquitto/fleetmfa_limits.so.");

    /// <summary>The bridge account of the <paramref name="silo"/>-th silo (1-based), as <c>fm_bridge_account</c> in deploy/lib.sh.</summary>
    public static string BridgeAccount(int silo) => silo == 1 ? BridgeUsername : $"{BridgeUsername}-{silo}";

    /// <summary>The variables deploy/cluster.sh passes the <paramref name="silo"/>-th silo (1-based): its own bridge account.</summary>
    public IReadOnlyDictionary<string, string> SiloEnvironmentFor(int silo)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(silo, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(silo, Bridges);
        return new Dictionary<string, string>
        {
            ["FLEETMFA_BROKER"] = $"mqtt://127.0.0.1:{Port}",
            ["FLEETMFA_BROKER_USERNAME"] = BridgeAccount(silo),
            ["FLEETMFA_BROKER_PASSWORD"] = _bridgePasswords[silo - 1],
            ["FLEETMFA_MOSQUITTO_PASSWORD_FILE"] = PasswordFile,
            ["FLEETMFA_MOSQUITTO_PID_FILE"] = PidFile,
        };
    }

    /// <summary>
    /// Starts Mosquitto with <paramref name="bridges"/> bridge accounts (one per silo of a cluster) and, when asked, an
    /// <paramref name="observer"/> account that may read every desired state and nothing else, and a
    /// <paramref name="writer"/> account that may also write them and every device's receipts. <paramref name="extraConfig"/> goes at the end of the
    /// config (after the template's <c>plugin_opt_</c> lines, so a <c>plugin_opt_</c> line there is the plugin's).
    /// </summary>
    public static async Task<MosquittoBroker> StartAsync(TestWorkspace workspace, string name, int bridges = 1, bool observer = false, bool writer = false, string? extraConfig = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bridges, 1);
        ArgumentNullException.ThrowIfNull(workspace);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The Mosquitto tests need Linux (Debian's mosquitto package).");
        }

        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: install it with `apt-get install -y mosquitto` (deploy/test.sh does).");
        }

        var plugin = LimitsPlugin;
        var directory = workspace.NewDirectory($"mosquitto-{name}");
        var port = FreePorts.Next();
        var deploy = Path.Combine(TestPaths.RepoRoot, "deploy", "mosquitto");
        var config = (await File.ReadAllTextAsync(Path.Combine(deploy, "fleetmfa.conf.template")))
            .Replace("@PORT@", $"{port}", StringComparison.Ordinal)
            .Replace("@DIR@", directory, StringComparison.Ordinal)
            .Replace("@PLUGIN@", plugin, StringComparison.Ordinal);
        // As deploy/lib.sh: run as whoever runs the tests, so Mosquitto can read its files if started as root.
        config += $"user {Environment.UserName}\n{extraConfig}";
        await File.WriteAllTextAsync(Path.Combine(directory, "mosquitto.conf"), config);
        File.Copy(Path.Combine(deploy, "acl"), Path.Combine(directory, "acl"));

        var passwd = Path.Combine(directory, "passwd");
        await File.WriteAllBytesAsync(passwd, []);
        File.SetUnixFileMode(passwd, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var bridgePasswords = new List<string>(bridges);
        for (var i = 1; i <= bridges; i++)
        {
            var account = BridgeAccount(i);
            var password = await AddAccountAsync(directory, account);
            if (i > 1)
            {
                // As deploy/lib.sh: the shipped ACL grants the first bridge account; every further one gets the same grant.
                await File.AppendAllTextAsync(Path.Combine(directory, "acl"), $"\nuser {account}\ntopic readwrite fleetmfa/v1/#\n");
            }

            bridgePasswords.Add(password);
        }

        string? observerPassword = null;
        if (observer)
        {
            observerPassword = await AddAccountAsync(directory, ObserverUsername);
            await File.AppendAllTextAsync(Path.Combine(directory, "acl"), $"\nuser {ObserverUsername}\ntopic read fleetmfa/v1/+/+/desired\n");
        }

        string? writerPassword = null;
        if (writer)
        {
            writerPassword = await AddAccountAsync(directory, WriterUsername);
            await File.AppendAllTextAsync(Path.Combine(directory, "acl"), $"\nuser {WriterUsername}\ntopic readwrite fleetmfa/v1/+/+/desired\ntopic write fleetmfa/v1/+/+/receipts\n");
        }

        File.SetUnixFileMode(passwd, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var broker = new MosquittoBroker(directory, port, bridgePasswords, observerPassword, writerPassword, workspace.Root);
        await broker.LaunchAsync();
        return broker;
    }

    /// <summary>Adds <paramref name="account"/> with a new random password to the broker's password file; returns the password.</summary>
    private static async Task<string> AddAccountAsync(string directory, string account)
    {
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await using var tool = ChildProcess.Start(
            "mosquitto_passwd", ["-b", Path.Combine(directory, "passwd"), account, password], directory, new Dictionary<string, string>(), Path.Combine(directory, $"mosquitto_passwd-{account}.log"));
        var exitCode = await tool.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exitCode == 0, $"mosquitto_passwd failed (exit {exitCode}):\n{tool.Tail()}");
        return password;
    }

    /// <summary>
    /// A device account (<paramref name="username"/> is <c>{orgId}/{deviceId}</c>, as the silo names them) with a new
    /// random password, loaded with a SIGHUP as the silo does after an enrollment; returns the password. Connect with
    /// <see cref="MqttProbe.ConnectEventuallyAsync(int, string, string, TimeSpan?)"/>: the reload takes a moment.
    /// </summary>
    public async Task<string> AddDeviceAccountAsync(string username)
    {
        var password = await AddAccountAsync(Directory, username);
        Assert.Equal(0, NativeMethods.Kill(_process.Id, NativeMethods.SigHup));
        return password;
    }

    /// <summary>SIGTERM (Mosquitto saves its persistence file on the way out), SIGKILL after a grace period.</summary>
    public Task<int> StopAsync() => _process.StopAsync(TimeSpan.FromSeconds(10));

    /// <summary>A new Mosquitto process on the same port and files (after <see cref="StopAsync"/>): an outage ends.</summary>
    public async Task RestartAsync()
    {
        Assert.True(_process.HasExited, "Stop the broker before restarting it.");
        await _process.DisposeAsync();
        await LaunchAsync();
    }

    public ValueTask DisposeAsync() => _process?.DisposeAsync() ?? ValueTask.CompletedTask;

    private async Task LaunchAsync()
    {
        File.Delete(PidFile);
        // As deploy/lib.sh: line-buffered, or Mosquitto's notices (the rate limit's drop counts) would sit in its stdout
        // buffer; stdbuf execs Mosquitto, so the process is still the broker.
        _process = ChildProcess.Start(
            LineBuffered,
            ["-oL", Executable, "-c", Path.Combine(Directory, "mosquitto.conf")],
            Directory,
            new Dictionary<string, string>(),
            Path.Combine(_logDirectory, $"{Path.GetFileName(Directory)}-{++_starts}.log"));
        try
        {
            await WaitUntilListeningAsync();
        }
        catch
        {
            await _process.DisposeAsync();
            throw;
        }
    }

    private async Task WaitUntilListeningAsync()
    {
        var deadline = DateTimeOffset.UtcNow + StartupDeadline;
        while (true)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(TimeSpan.FromSeconds(5));
                throw new InvalidOperationException($"Mosquitto exited with code {_process.ExitCode} during start-up (log {_process.LogPath}):\n{_process.Tail()}");
            }

            if (File.Exists(PidFile) && new FileInfo(PidFile).Length > 0 && await LoopbackPort.AcceptsConnectionsAsync(Port))
            {
                return;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"Mosquitto did not listen on 127.0.0.1:{Port} and write {PidFile} within {StartupDeadline.TotalSeconds} s:\n{_process.Tail()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }
}
