using System.Reflection;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Protocol.Sealing;

namespace FleetMfa.Agent.Tests.Architecture;

/// <summary>DESIGN §2: the agent and the protocol never reference Orleans (and neither do their tests).</summary>
public class NoOrleansTests
{
    public static TheoryData<string> Assemblies => new()
    {
        typeof(AgentStore).Assembly.GetName().Name!,
        typeof(SecretSealer).Assembly.GetName().Name!,
        typeof(NoOrleansTests).Assembly.GetName().Name!,
    };

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void No_assembly_references_orleans(string name)
    {
        var assembly = Assembly.Load(name);

        Assert.DoesNotContain(assembly.GetReferencedAssemblies(), a => a.Name!.Contains("Orleans", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void The_agents_dependency_graph_has_no_orleans_package()
    {
        var deps = Path.Combine(Path.GetDirectoryName(AgentProcess.Executable)!, "fleetmfa-agent.deps.json");

        Assert.True(File.Exists(deps), deps);
        Assert.DoesNotContain("Orleans", File.ReadAllText(deps), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Directory.GetFiles(AppContext.BaseDirectory), f => Path.GetFileName(f).Contains("Orleans", StringComparison.OrdinalIgnoreCase));
    }
}
