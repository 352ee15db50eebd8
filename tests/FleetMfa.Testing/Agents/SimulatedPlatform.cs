using FleetMfa.Agent.Platform;

namespace FleetMfa.Testing.Agents;

/// <summary>
/// A Linux device with its own hostname and an SSH server, so every simulated agent reports distinct, valid facts.
/// It enforces nothing: thousands of simulated devices share one machine, whose sshd must stay untouched.
/// </summary>
public sealed class SimulatedPlatform(string hostname) : IPlatform
{
    public string Os => "linux";

    public string OsVersion() => "debian 12";

    public string Hostname() => hostname;

    public bool? SshServerInstalled() => true;

    public IReadOnlyList<string> AuthPlugins() => [];

    public PolicyResult ApplyPolicy(PolicyRequest request) => PolicyResult.Unchanged;

    public PolicyCheck CheckPolicy(PolicyRequest request) => PolicyCheck.InEffect;

    public IReadOnlyList<string> WatchedPaths() => [];

    public PolicyResult RestorePolicy() => PolicyResult.Unchanged;
}
