using System.Diagnostics;
using System.Text;

namespace FleetMfa.Testing.Storage;

/// <summary>
/// Azure Storage for the tests. deploy/test.sh starts one Azurite for the whole run and passes its connection string as
/// <c>FLEETMFA_TEST_STORAGE</c>; without it (a <c>dotnet test</c> on its own), or for a test that must own every file
/// Azurite writes, an Azurite is started here — by deploy/lib.sh itself (<c>fm_spawn_azurite</c>,
/// <c>fm_wait_azurite</c>, <c>fm_azurite_connection_string</c>, <c>fm_stop_pid</c>), so that deploy/up.sh,
/// deploy/test.sh and the tests start it one way, with one set of arguments: the azurite pinned in deploy/package.json
/// (<c>npm ci --prefix deploy</c> when missing), on 127.0.0.1 only, blob port P, queue P+1, table P+2, its files under
/// <c>DIR/azurite</c> and its PID in <c>DIR/azurite.pid</c>. It is stopped by that PID (it leads its own process
/// group), SIGTERM first and SIGKILL after a grace period — never by name.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    /// <summary>The connection string deploy/test.sh passes the tests.</summary>
    public const string StorageVariable = "FLEETMFA_TEST_STORAGE";

    /// <summary>Azurite sometimes ignores SIGTERM (DESIGN §9): after this, SIGKILL.</summary>
    private const int StopGraceSeconds = 5;

    private static readonly TimeSpan LibTimeout = TimeSpan.FromMinutes(5);

    private readonly int? _pid;
    private readonly string? _ownedDirectory;

    private AzuriteServer(string connectionString, int? pid, string? workDirectory, string? ownedDirectory)
    {
        ConnectionString = connectionString;
        _pid = pid;
        _ownedDirectory = ownedDirectory;
        DataDirectory = workDirectory is null ? null : Path.Combine(workDirectory, "azurite");
        LogPath = workDirectory is null ? null : Path.Combine(workDirectory, "azurite.log");
    }

    public string ConnectionString { get; }

    /// <summary>True for the Azurite deploy/test.sh started (shared by the whole run: tests clean up what they made).</summary>
    public bool IsShared => _pid is null;

    /// <summary>Azurite's <c>--location</c> (every file it persists); null for the shared one.</summary>
    public string? DataDirectory { get; }

    /// <summary>Azurite's output; null for the shared one.</summary>
    public string? LogPath { get; }

    private static string LibSh => Path.Combine(TestPaths.RepoRoot, "deploy", "lib.sh");

    /// <summary><c>FLEETMFA_TEST_STORAGE</c> when set, else a new Azurite (<see cref="StartAsync"/>).</summary>
    public static Task<AzuriteServer> SharedOrStartAsync(string? workDirectory = null) =>
        Environment.GetEnvironmentVariable(StorageVariable) is { Length: > 0 } shared
            ? Task.FromResult(new AzuriteServer(shared, pid: null, workDirectory: null, ownedDirectory: null))
            : StartAsync(workDirectory);

    /// <summary>
    /// A new Azurite of this caller's own on three free consecutive loopback ports, its files under
    /// <paramref name="workDirectory"/> (a temporary folder, removed on dispose, when null); ready when this returns.
    /// </summary>
    public static async Task<AzuriteServer> StartAsync(string? workDirectory = null)
    {
        var owned = workDirectory is null ? Directory.CreateTempSubdirectory("fleetmfa-azurite-").FullName : null;
        var directory = workDirectory ?? owned!;
        var port = FreePorts.NextRun(3);
        var (exitCode, output) = await RunLibAsync(
            """
            fm_spawn_azurite "$1" "$2" "$1/azurite.log"
            printf 'pid=%s\n' "$FM_AZURITE_PID"
            fm_wait_azurite "$2" "$1/azurite.log"
            printf 'connection=%s\n' "$(fm_azurite_connection_string "$2")"
            """,
            directory,
            $"{port}");
        var values = output.Split('\n').Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim(), StringComparer.Ordinal);
        int? pid = values.TryGetValue("pid", out var text) && int.TryParse(text, out var parsed) ? parsed : null;
        var server = new AzuriteServer(values.GetValueOrDefault("connection", ""), pid, directory, owned);
        if (exitCode != 0 || server.ConnectionString.Length == 0)
        {
            await server.DisposeAsync();
            throw new InvalidOperationException($"deploy/lib.sh could not start Azurite on 127.0.0.1:{port}-{port + 2} (exit {exitCode}):\n{output}");
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        // The PID is Azurite's until it exits; a PID that no longer names an Azurite is never signalled.
        if (_pid is { } pid && IsAzurite(pid))
        {
            await RunLibAsync("""fm_stop_pid "$1" "$2" """, $"{pid}", $"{StopGraceSeconds}");
        }

        if (_ownedDirectory is not null)
        {
            try
            {
                Directory.Delete(_ownedDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open; the temp directory is cleaned up by the OS eventually.
            }
        }
    }

    private static bool IsAzurite(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("azurite", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Runs <paramref name="script"/> in bash with deploy/lib.sh sourced; returns its exit code and its stdout and stderr.</summary>
    private static async Task<(int ExitCode, string Output)> RunLibAsync(string script, params string[] arguments)
    {
        var info = new ProcessStartInfo("bash")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"set -euo pipefail; source \"$0\"\n{script}");
        info.ArgumentList.Add(LibSh);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var output = new StringBuilder();
        using var bash = new Process { StartInfo = info };
        bash.OutputDataReceived += (_, e) => Append(output, e.Data);
        bash.ErrorDataReceived += (_, e) => Append(output, e.Data);
        bash.Start();
        bash.BeginOutputReadLine();
        bash.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(LibTimeout);
        try
        {
            await bash.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            bash.Kill(entireProcessTree: true);
            throw new TimeoutException($"deploy/lib.sh did not finish within {LibTimeout.TotalMinutes} min:\n{output}");
        }

        // The output drains once the process exited (WaitForExit without a timeout waits for it).
        bash.WaitForExit();
        lock (output)
        {
            return (bash.ExitCode, output.ToString());
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.Append(line).Append('\n');
            }
        }
    }
}
