using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using FleetMfa.Testing.Network;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// Debian's Mosquitto as the external broker, set up the way <c>fm_start_mosquitto</c> in deploy/lib.sh does it: TLS
/// from <c>deploy/mosquitto/fleetmfa-tls.conf.template</c> with the FleetMfa CA, the server certificate, CRL and revoked
/// file <c>deploy/mosquitto/make-tls.sh</c> makes (the silo keeps the last two), its pattern ACL, a <c>user</c> line for
/// whoever runs the tests, and fleetmfa_limits (<see cref="LimitsPlugin"/>; no Mosquitto starts here without it). Every
/// account logs in with a client certificate of that CA; the tests hold the CA's key (<see cref="CaFile"/>) and issue
/// their own (<see cref="IssueCertificate"/>). Listens on a free loopback port; stopped by its PID. For a cluster the ACL
/// grants one bridge account per silo, named as <c>fm_bridge_account</c> names them (Mosquitto ties a client id to its
/// username: two silos on one account would keep taking each other's session over).
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

    private MosquittoBroker(string directory, int port, int bridges, bool observer, bool writer, string logDirectory)
    {
        Directory = directory;
        Port = port;
        Bridges = bridges;
        _logDirectory = logDirectory;
        Observer = observer ? Account(ObserverUsername) : null;
        Writer = writer ? Account(WriterUsername) : null;
    }

    /// <summary>The read-only account on every desired topic; null unless the broker was started with an observer.</summary>
    public BrokerCredential? Observer { get; }

    /// <summary>The account that may write every desired and receipts topic; null unless the broker was started with a writer.</summary>
    public BrokerCredential? Writer { get; }

    /// <summary>Holds <c>mosquitto.conf</c>, <c>acl</c>, the CA, <c>tls/</c>, <c>mosquitto.pid</c> and the persistence file.</summary>
    public string Directory { get; }

    public int Port { get; }

    /// <summary>How many bridge accounts the ACL grants (one per silo).</summary>
    public int Bridges { get; }

    /// <summary>The FleetMfa CA, certificate and key (what the silo is given as <c>FLEETMFA_AGENT_CA_CERT</c>).</summary>
    public string CaFile => Path.Combine(Directory, "ca.pem");

    /// <summary>Mosquitto's <c>crlfile</c>, which the silo rewrites on every revocation.</summary>
    public string CrlFile => Path.Combine(Directory, "tls", "crl.pem");

    /// <summary>The fleetmfa_limits plugin's revoked file, which the silo rewrites with the CRL.</summary>
    public string RevokedFile => Path.Combine(Directory, "tls", "revoked");

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
            ["FLEETMFA_BROKER"] = $"mqtts://127.0.0.1:{Port}",
            ["FLEETMFA_BROKER_USERNAME"] = BridgeAccount(silo),
            ["FLEETMFA_AGENT_CA_CERT"] = CaFile,
            ["FLEETMFA_MOSQUITTO_CRL_FILE"] = CrlFile,
            ["FLEETMFA_MOSQUITTO_REVOKED_FILE"] = RevokedFile,
            ["FLEETMFA_MOSQUITTO_PID_FILE"] = PidFile,
        };
    }

    /// <summary>An account <paramref name="username"/> (a device's is <c>{orgId}/{deviceId}</c>) with a new certificate of the CA.</summary>
    public BrokerCredential Account(string username) => new(username, Port, null, IssueCertificate(username));

    /// <summary>A client certificate for <paramref name="commonName"/> with a new key, issued by the FleetMfa CA (<see cref="TestCertificates.IssueClient"/>).</summary>
    public X509Certificate2 IssueCertificate(string commonName)
    {
        using var ca = X509Certificate2.CreateFromPemFile(CaFile, CaFile);
        return TestCertificates.IssueClient(ca, commonName);
    }

    /// <summary>
    /// Starts Mosquitto whose ACL grants <paramref name="bridges"/> bridge accounts (one per silo of a cluster) and, when
    /// asked, an <paramref name="observer"/> account that may read every desired state and nothing else, and a
    /// <paramref name="writer"/> account that may also write them and every device's receipts. <paramref name="extraConfig"/>
    /// goes at the end of the config (after the template's <c>plugin_opt_</c> lines, so a <c>plugin_opt_</c> line there is the plugin's).
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
        var tls = Path.Combine(directory, "tls");
        await using (var make = ChildProcess.Start(
            "bash", [Path.Combine(deploy, "make-tls.sh"), Path.Combine(directory, "ca.pem"), tls], directory, new Dictionary<string, string>(), Path.Combine(directory, "make-tls.log")))
        {
            var exitCode = await make.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exitCode == 0, $"deploy/mosquitto/make-tls.sh failed (exit {exitCode}):\n{make.Tail()}");
        }

        var config = (await File.ReadAllTextAsync(Path.Combine(deploy, "fleetmfa-tls.conf.template")))
            .Replace("@PORT@", $"{port}", StringComparison.Ordinal)
            .Replace("@DIR@", directory, StringComparison.Ordinal)
            .Replace("@PLUGIN@", plugin, StringComparison.Ordinal)
            .Replace("@CAFILE@", Path.Combine(tls, "ca.crt"), StringComparison.Ordinal)
            .Replace("@CERTFILE@", Path.Combine(tls, "server.pem"), StringComparison.Ordinal)
            .Replace("@KEYFILE@", Path.Combine(tls, "server.key"), StringComparison.Ordinal)
            .Replace("@CRLFILE@", Path.Combine(tls, "crl.pem"), StringComparison.Ordinal)
            .Replace("@REVOKED_FILE@", Path.Combine(tls, "revoked"), StringComparison.Ordinal);
        // As deploy/lib.sh: run as whoever runs the tests, so Mosquitto can read its files if started as root.
        config += $"user {Environment.UserName}\n{extraConfig}";
        await File.WriteAllTextAsync(Path.Combine(directory, "mosquitto.conf"), config);

        // As deploy/lib.sh: the shipped ACL grants the first bridge account; every further one gets the same grant.
        var acl = new StringBuilder(await File.ReadAllTextAsync(Path.Combine(deploy, "acl")));
        for (var i = 2; i <= bridges; i++)
        {
            acl.Append(CultureInfo.InvariantCulture, $"\nuser {BridgeAccount(i)}\ntopic readwrite fleetmfa/v1/#\n");
        }

        if (observer)
        {
            acl.Append(CultureInfo.InvariantCulture, $"\nuser {ObserverUsername}\ntopic read fleetmfa/v1/+/+/desired\n");
        }

        if (writer)
        {
            acl.Append(CultureInfo.InvariantCulture, $"\nuser {WriterUsername}\ntopic readwrite fleetmfa/v1/+/+/desired\ntopic write fleetmfa/v1/+/+/receipts\n");
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "acl"), acl.ToString());
        var broker = new MosquittoBroker(directory, port, bridges, observer, writer, workspace.Root);
        await broker.LaunchAsync();
        return broker;
    }

    /// <summary>SIGHUP, as the silo sends after it rewrote the revocation files.</summary>
    public void Reload() => Assert.Equal(0, NativeMethods.Kill(_process.Id, NativeMethods.SigHup));

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
