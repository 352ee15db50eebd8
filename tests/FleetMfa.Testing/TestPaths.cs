using System.Reflection;

namespace FleetMfa.Testing;

/// <summary>Where the repository and the silo and agent builds live, seen from the running test assembly.</summary>
public static class TestPaths
{
    /// <summary>The folder holding <c>FleetMfa.sln</c>.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The configuration this assembly was built with (Debug/Release); the silo is built the same way.</summary>
    public static string Configuration { get; } = FindConfiguration();

    /// <summary>The silo's output folder; it is also its content root, so its <c>appsettings.json</c> applies as in deploy/up.sh.</summary>
    public static string SiloDirectory => Path.Combine(RepoRoot, "silo", "FleetMfa.Silo", "bin", Configuration, "net10.0");

    public static string SiloAssembly => Path.Combine(SiloDirectory, "FleetMfa.Silo.dll");

    /// <summary>The agent's output folder (same configuration); started as <c>dotnet fleetmfa-agent.dll</c>.</summary>
    public static string AgentDirectory => Path.Combine(RepoRoot, "agent", "FleetMfa.Agent", "bin", Configuration, "net10.0");

    public static string AgentAssembly => Path.Combine(AgentDirectory, "fleetmfa-agent.dll");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FleetMfa.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No FleetMfa.sln above {AppContext.BaseDirectory}.");
    }

    private static string FindConfiguration()
    {
        // bin/<Configuration>/net10.0/ is the SDK layout; the assembly attribute covers custom output paths.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        if (output.Parent is { Parent.Name: "bin" } configurationDir)
        {
            return configurationDir.Name;
        }

        return typeof(TestPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration is { Length: > 0 } configuration
            ? configuration
            : "Debug";
    }
}
