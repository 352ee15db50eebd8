namespace FleetMfa.Agent.Platform.Windows;

/// <summary>
/// Windows 10 and later: facts from the OS, the registry policies of <see cref="WindowsPolicyPlan"/>. The logon prompt
/// itself is FleetMfa's credential provider, whose contract with the agent is the CLI: <c>fleetmfa-agent verify --user
/// NAME --check-required</c> (exit 4: show the code field) then <c>fleetmfa-agent verify --user NAME</c> with the code on
/// stdin (README, "The agent").
/// </summary>
public sealed class WindowsPlatform(IPolicyRegistry registry, string backupDirectory) : IPlatform
{
    private readonly WindowsPolicyEnforcer _enforcer = new(registry, backupDirectory);

    public string Os => "windows";

    public string OsVersion() => Environment.OSVersion.Version.ToString();

    public string Hostname() => MachineName.Current();

    /// <summary>Windows MFA is for the logon screen, not SSH.</summary>
    public bool? SshServerInstalled() => null;

    public IReadOnlyList<string> AuthPlugins() => [];

    public PolicyResult ApplyPolicy(PolicyRequest request) => _enforcer.Apply(request);

    /// <summary>Registry values can be changed by anyone with admin rights; re-applying the same request puts them back.</summary>
    public PolicyCheck CheckPolicy(PolicyRequest request)
    {
        var result = _enforcer.Apply(request);
        return result.Changed ? PolicyCheck.Repaired(result.Changes) : PolicyCheck.InEffect;
    }

    public IReadOnlyList<string> WatchedPaths() => [];

    public PolicyResult RestorePolicy() => _enforcer.Apply(PolicyRequest.Off);
}
