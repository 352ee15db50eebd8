using FleetMfa.Agent.Platform;

namespace FleetMfa.Load.Agents;

/// <summary>A Linux device with its own hostname and an SSH server, so every simulated agent reports distinct, valid facts.</summary>
public sealed class SimulatedPlatform(string hostname) : IPlatform
{
    public string Os => "linux";

    public string OsVersion() => "debian 12";

    public string Hostname() => hostname;

    public bool? SshServerInstalled() => true;

    public IReadOnlyList<string> AuthPlugins() => [];
}
