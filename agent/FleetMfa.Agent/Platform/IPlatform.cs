namespace FleetMfa.Agent.Platform;

/// <summary>What differs per OS: the facts the agent reports, and (later) how it applies OS policy.</summary>
public interface IPlatform
{
    string Os { get; }

    string OsVersion();

    string Hostname();

    /// <summary>Whether an OpenSSH server is installed; <c>null</c> where the question does not apply.</summary>
    bool? SshServerInstalled();

    /// <summary>Other authentication / authorization plug-ins that would conflict with ours.</summary>
    IReadOnlyList<string> AuthPlugins();
}
