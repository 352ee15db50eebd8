using System.Net.Sockets;
using System.Security.Cryptography;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// Debian's Mosquitto as the external broker, set up the way <c>fm_start_mosquitto</c> in deploy/lib.sh does it: the
/// config from <c>deploy/mosquitto/fleetmfa.conf.template</c>, its pattern ACL, a password file holding only the
/// bridge account (the silo appends device accounts), and a <c>user</c> line for whoever runs the tests. Listens on a
/// free loopback port; stopped by its PID.
/// </summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    public const string BridgeUsername = "fleetmfa-bridge";

    private const string Executable = "/usr/sbin/mosquitto";
    private static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(15);

    private readonly string _logDirectory;
    private ChildProcess _process = null!;
    private int _starts;

    private MosquittoBroker(string directory, int port, string bridgePassword, string logDirectory)
    {
        Directory = directory;
        Port = port;
        BridgePassword = bridgePassword;
        _logDirectory = logDirectory;
    }

    /// <summary>Holds <c>mosquitto.conf</c>, <c>acl</c>, <c>passwd</c>, <c>mosquitto.pid</c> and the persistence file.</summary>
    public string Directory { get; }

    public int Port { get; }

    public string BridgePassword { get; }

    public string PasswordFile => Path.Combine(Directory, "passwd");

    public string PidFile => Path.Combine(Directory, "mosquitto.pid");

    /// <summary>Where Mosquitto saves retained messages and sessions (on shutdown, or every <c>autosave_interval</c>).</summary>
    public string PersistenceFile => Path.Combine(Directory, "mosquitto.db");

    /// <summary>The running broker process (a new one after <see cref="RestartAsync"/>).</summary>
    public ChildProcess Process => _process;

    /// <summary>The variables deploy/lib.sh exports for the silo.</summary>
    public IReadOnlyDictionary<string, string> SiloEnvironment => new Dictionary<string, string>
    {
        ["FLEETMFA_BROKER"] = $"mqtt://127.0.0.1:{Port}",
        ["FLEETMFA_BROKER_USERNAME"] = BridgeUsername,
        ["FLEETMFA_BROKER_PASSWORD"] = BridgePassword,
        ["FLEETMFA_MOSQUITTO_PASSWORD_FILE"] = PasswordFile,
        ["FLEETMFA_MOSQUITTO_PID_FILE"] = PidFile,
    };

    public static async Task<MosquittoBroker> StartAsync(TestWorkspace workspace, string name)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The Mosquitto tests need Linux (Debian's mosquitto package).");
        }

        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: install it with `apt-get install -y mosquitto` (deploy/test.sh does).");
        }

        var directory = workspace.NewDirectory($"mosquitto-{name}");
        var port = FreePorts.Next();
        var deploy = Path.Combine(TestPaths.RepoRoot, "deploy", "mosquitto");
        var config = (await File.ReadAllTextAsync(Path.Combine(deploy, "fleetmfa.conf.template")))
            .Replace("@PORT@", $"{port}", StringComparison.Ordinal)
            .Replace("@DIR@", directory, StringComparison.Ordinal);
        // As deploy/lib.sh: run as whoever runs the tests, so Mosquitto can read its files if started as root.
        config += $"user {Environment.UserName}\n";
        await File.WriteAllTextAsync(Path.Combine(directory, "mosquitto.conf"), config);
        File.Copy(Path.Combine(deploy, "acl"), Path.Combine(directory, "acl"));

        var bridgePassword = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var passwd = Path.Combine(directory, "passwd");
        await File.WriteAllBytesAsync(passwd, []);
        File.SetUnixFileMode(passwd, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using (var tool = ChildProcess.Start(
            "mosquitto_passwd", ["-b", passwd, BridgeUsername, bridgePassword], directory, new Dictionary<string, string>(), Path.Combine(directory, "mosquitto_passwd.log")))
        {
            var exitCode = await tool.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(exitCode == 0, $"mosquitto_passwd failed (exit {exitCode}):\n{tool.Tail()}");
        }

        File.SetUnixFileMode(passwd, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var broker = new MosquittoBroker(directory, port, bridgePassword, workspace.Root);
        await broker.LaunchAsync();
        return broker;
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
        _process = ChildProcess.Start(
            Executable,
            ["-c", Path.Combine(Directory, "mosquitto.conf")],
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

            if (File.Exists(PidFile) && new FileInfo(PidFile).Length > 0 && await AcceptsConnectionsAsync())
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

    private async Task<bool> AcceptsConnectionsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
