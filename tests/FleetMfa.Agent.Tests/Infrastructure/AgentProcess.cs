using System.Diagnostics;

namespace FleetMfa.Agent.Tests.Infrastructure;

/// <summary>Runs the built <c>fleetmfa-agent</c> as a real process, the way PAM does.</summary>
public static class AgentProcess
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The apphost the build copies next to the tests (the agent is a referenced Exe), else the agent's own output
    /// <c>agent/FleetMfa.Agent/bin/&lt;Configuration&gt;/net10.0/fleetmfa-agent</c>.
    /// </summary>
    public static string Executable { get; } = Locate();

    public static Task<AgentResult> RunAsync(string? stdin, params string[] args) => RunProgramAsync(Executable, stdin, args);

    /// <summary>Runs the agent with <paramref name="environment"/> added to its environment (e.g. where sshd's files are).</summary>
    public static Task<AgentResult> RunWithAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunProgramAsync(Executable, null, environment, args);

    /// <summary>Runs another program the same way (e.g. <c>setpriv</c> in front of the agent).</summary>
    public static Task<AgentResult> RunProgramAsync(string program, string? stdin, params string[] args) =>
        RunProgramAsync(program, stdin, new Dictionary<string, string>(), args);

    private static async Task<AgentResult> RunProgramAsync(string program, string? stdin, IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("FLEETMFA_AGENT_DATA");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{Executable} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
                await process.StandardInput.FlushAsync();
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The agent stopped reading (it reads one short line at most) and exited: a closed pipe is expected.
        }

        try
        {
            await process.WaitForExitAsync().WaitAsync(_timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"fleetmfa-agent {string.Join(' ', args)} did not exit within {_timeout}.");
        }

        return new AgentResult(process.ExitCode, await stdout, await stderr);
    }

    private static string Locate()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "fleetmfa-agent");
        if (File.Exists(beside))
        {
            return beside;
        }

        // bin/<Configuration>/net10.0/ of the tests → the same configuration of the agent.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = output.Parent?.Name ?? "Debug";
        for (var dir = output; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FleetMfa.sln")))
            {
                var built = Path.Combine(dir.FullName, "agent", "FleetMfa.Agent", "bin", configuration, "net10.0", "fleetmfa-agent");
                return File.Exists(built) ? built : throw new InvalidOperationException($"The agent is not built: {built} is missing.");
            }
        }

        throw new InvalidOperationException($"fleetmfa-agent was found neither in {AppContext.BaseDirectory} nor in the agent's build output.");
    }
}
