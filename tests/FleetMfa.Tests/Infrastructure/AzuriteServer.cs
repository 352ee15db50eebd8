using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// An Azurite of the test run's own: the pinned <c>deploy/node_modules/.bin/azurite</c> on free loopback ports with a
/// temporary data directory. Stopped by its process id on dispose, never by name.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account (public, documented by Microsoft).</summary>
    private const string AccountName = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan _startTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan _npmTimeout = TimeSpan.FromMinutes(5);

    private readonly Process _process;
    private readonly DirectoryInfo _dataDirectory;
    private readonly ConcurrentQueue<string> _output;

    private AzuriteServer(Process process, DirectoryInfo dataDirectory, ConcurrentQueue<string> output, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        _dataDirectory = dataDirectory;
        _output = output;
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{blobPort}/{AccountName};" +
            $"QueueEndpoint=http://127.0.0.1:{queuePort}/{AccountName};" +
            $"TableEndpoint=http://127.0.0.1:{tablePort}/{AccountName};";
    }

    public string ConnectionString { get; }

    public static async Task<AzuriteServer> StartAsync()
    {
        var repoRoot = FindRepoRoot();
        var azurite = Path.Combine(repoRoot, "deploy", "node_modules", ".bin", "azurite");
        if (!File.Exists(azurite))
        {
            await NpmCiAsync(repoRoot);
        }

        var (blobPort, queuePort, tablePort) = FreeLoopbackPorts();
        var dataDirectory = Directory.CreateTempSubdirectory("fleetmfa-azurite-");
        var output = new ConcurrentQueue<string>();
        var start = new ProcessStartInfo(azurite)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
            "--location", dataDirectory.FullName,
            "--blobHost", "127.0.0.1", "--blobPort", Invariant(blobPort),
            "--queueHost", "127.0.0.1", "--queuePort", Invariant(queuePort),
            "--tableHost", "127.0.0.1", "--tablePort", Invariant(tablePort),
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Keep(output, e.Data);
        process.ErrorDataReceived += (_, e) => Keep(output, e.Data);
        var server = new AzuriteServer(process, dataDirectory, output, blobPort, queuePort, tablePort);
        try
        {
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await server.WaitForPortAsync(tablePort);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        finally
        {
            _process.Dispose();
            try
            {
                _dataDirectory.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A file still held open; the temp directory is cleaned up by the OS eventually.
            }
        }
    }

    private async Task WaitForPortAsync(int port)
    {
        var deadline = DateTime.UtcNow + _startTimeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with status {_process.ExitCode} before listening:\n{Output()}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                // Not listening yet: poll the port again shortly.
                await Task.Delay(100);
            }
            catch (SocketException ex)
            {
                throw new TimeoutException($"Azurite did not listen on 127.0.0.1:{port} within {_startTimeout.TotalSeconds} s:\n{Output()}", ex);
            }
        }
    }

    private string Output() => string.Join('\n', _output);

    private static void Keep(ConcurrentQueue<string> output, string? line)
    {
        if (line is null)
        {
            return;
        }

        output.Enqueue(line);
        while (output.Count > 200 && output.TryDequeue(out _))
        {
        }
    }

    /// <summary>Walks up from the test binaries to the directory holding FleetMfa.sln.</summary>
    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FleetMfa.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"FleetMfa.sln not found above {AppContext.BaseDirectory}; set FLEETMFA_TEST_STORAGE instead.");
    }

    private static async Task NpmCiAsync(string repoRoot)
    {
        var start = new ProcessStartInfo("npm") { WorkingDirectory = repoRoot, UseShellExecute = false };
        start.ArgumentList.Add("ci");
        start.ArgumentList.Add("--prefix");
        start.ArgumentList.Add("deploy");
        using var npm = Process.Start(start) ?? throw new InvalidOperationException("Could not start npm to install Azurite.");
        using var timeout = new CancellationTokenSource(_npmTimeout);
        try
        {
            await npm.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            npm.Kill(entireProcessTree: true);
            throw new TimeoutException("npm ci --prefix deploy did not finish in time.");
        }

        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci --prefix deploy failed with status {npm.ExitCode}.");
        }
    }

    /// <summary>Three distinct free ports, held open together while chosen so that none is handed out twice.</summary>
    private static (int Blob, int Queue, int Table) FreeLoopbackPorts()
    {
        var listeners = Enumerable.Range(0, 3).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
            return (ports[0], ports[1], ports[2]);
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Dispose();
            }
        }
    }

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
