using System.Net.Sockets;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// Azure Storage for the silos under test: <c>FLEETMFA_TEST_STORAGE</c> when deploy/test.sh provides it, otherwise an
/// Azurite started here from the pinned <c>deploy/node_modules</c> on free loopback ports and stopped by its PID.
/// </summary>
public sealed class AzuriteInstance : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account (public, documented by Microsoft).</summary>
    private const string Account = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(30);

    private readonly ChildProcess? _process;

    private AzuriteInstance(string connectionString, ChildProcess? process, string? dataDirectory)
    {
        ConnectionString = connectionString;
        _process = process;
        DataDirectory = dataDirectory;
    }

    public string ConnectionString { get; }

    /// <summary>Azurite's <c>--location</c> (every file it persists); null for storage provided from outside.</summary>
    public string? DataDirectory { get; }

    public static string ConnectionStringFor(int blobPort) =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/{Account};" +
        $"QueueEndpoint=http://127.0.0.1:{blobPort + 1}/{Account};" +
        $"TableEndpoint=http://127.0.0.1:{blobPort + 2}/{Account};";

    /// <summary>
    /// Storage for the tests: <c>FLEETMFA_TEST_STORAGE</c> when set, else a new Azurite. <paramref name="dedicated"/>
    /// always starts a new Azurite (a test that inspects its files needs to know where they are).
    /// </summary>
    public static async Task<AzuriteInstance> StartAsync(TestWorkspace workspace, bool dedicated = false)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        if (!dedicated && Environment.GetEnvironmentVariable("FLEETMFA_TEST_STORAGE") is { Length: > 0 } external)
        {
            return new AzuriteInstance(external, process: null, dataDirectory: null);
        }

        var azurite = await EnsureInstalledAsync(workspace);
        var port = FreePorts.NextRun(3);
        var location = workspace.NewDirectory("azurite");
        string[] arguments =
        [
            "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
            "--location", location,
            "--blobHost", "127.0.0.1", "--blobPort", $"{port}",
            "--queueHost", "127.0.0.1", "--queuePort", $"{port + 1}",
            "--tableHost", "127.0.0.1", "--tablePort", $"{port + 2}",
        ];
        var process = ChildProcess.Start(azurite, arguments, location, new Dictionary<string, string>(), Path.Combine(workspace.Root, $"{Path.GetFileName(location)}.log"));
        try
        {
            await WaitForPortAsync(process, port + 2);
            await WaitForPortAsync(process, port);
            await WaitForPortAsync(process, port + 1);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return new AzuriteInstance(ConnectionStringFor(port), process, location);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            // Azurite sometimes ignores SIGTERM (DESIGN §9): the grace period ends in SIGKILL.
            await _process.StopAsync(TimeSpan.FromSeconds(5));
            await _process.DisposeAsync();
        }
    }

    private static async Task<string> EnsureInstalledAsync(TestWorkspace workspace)
    {
        var deploy = Path.Combine(TestPaths.RepoRoot, "deploy");
        var azurite = Path.Combine(deploy, "node_modules", ".bin", "azurite");
        if (File.Exists(azurite))
        {
            return azurite;
        }

        await using var npm = ChildProcess.Start(
            "npm",
            ["ci", "--prefix", deploy, "--no-audit", "--no-fund"],
            TestPaths.RepoRoot,
            new Dictionary<string, string>(),
            Path.Combine(workspace.Root, "npm-ci.log"));
        var exitCode = await npm.WaitForExitAsync(TimeSpan.FromMinutes(5));
        if (exitCode != 0 || !File.Exists(azurite))
        {
            throw new InvalidOperationException($"npm ci --prefix deploy failed (exit {exitCode}); Azurite is needed unless FLEETMFA_TEST_STORAGE is set.\n{npm.Tail()}");
        }

        return azurite;
    }

    private static async Task WaitForPortAsync(ChildProcess process, int port)
    {
        var deadline = DateTimeOffset.UtcNow + StartupDeadline;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with code {process.ExitCode} during start-up.\n{process.Tail()}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException) when (DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100));
            }
            catch (SocketException ex)
            {
                throw new TimeoutException($"Azurite did not listen on 127.0.0.1:{port} within {StartupDeadline.TotalSeconds} s.\n{process.Tail()}", ex);
            }
        }
    }
}
