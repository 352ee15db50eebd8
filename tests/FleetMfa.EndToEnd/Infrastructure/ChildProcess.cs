using System.Diagnostics;
using System.Text;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// A process started by a test: stdout and stderr go to a log file and to memory (for assertions), and it is stopped
/// by its own PID, SIGTERM first, SIGKILL after a grace period.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly string[] ScrubbedPrefixes = ["FLEETMFA_", "FleetMfa__", "ASPNETCORE_", "DOTNET_ENVIRONMENT", "DOTNET_URLS"];

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();
    private bool _closed;

    private ChildProcess(Process process, StreamWriter log, string logPath)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public string LogPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the process wrote so far (stdout and stderr, interleaved by line).</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="fileName"/>. Inherited FleetMfa/ASP.NET Core settings are removed from the environment so
    /// that only <paramref name="environment"/> configures the child. <paramref name="standardInput"/>, when given, is
    /// written to its stdin, which is then closed (a null stdin is inherited, as before).
    /// </summary>
    public static ChildProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string> environment,
        string logPath,
        string? standardInput = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var key in info.Environment.Keys.Where(k => ScrubbedPrefixes.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, log, logPath);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        try
        {
            process.Start();
        }
        catch
        {
            process.Dispose();
            log.Dispose();
            throw;
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (standardInput is not null)
        {
            try
            {
                process.StandardInput.Write(standardInput);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The child stopped reading (e.g. it read the one line it wanted) and exited: a closed pipe is expected.
            }
        }

        return child;
    }

    /// <summary>The last <paramref name="lines"/> lines of output, for failure messages.</summary>
    public string Tail(int lines = 60)
    {
        var all = Output.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <summary>Waits for the process to exit and its output to drain; throws <see cref="TimeoutException"/> when it does not.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"Process {_process.Id} ({_process.StartInfo.FileName}) did not exit within {timeout.TotalSeconds} s.");
        }

        return _process.ExitCode;
    }

    /// <summary>SIGTERM, then SIGKILL (whole tree) when it has not exited after <paramref name="grace"/>. Returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            _ = NativeMethods.Kill(_process.Id, NativeMethods.SigTerm);
            try
            {
                return await WaitForExitAsync(grace);
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        return await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGKILL to the whole tree, as a crash or a power cut would end it; returns the exit code.</summary>
    public async Task<int> KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        return await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        _process.Dispose();
        lock (_gate)
        {
            _closed = true;
            _log.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _output.Append(line).Append('\n');
            if (!_closed)
            {
                _log.WriteLine(line);
            }
        }
    }
}
