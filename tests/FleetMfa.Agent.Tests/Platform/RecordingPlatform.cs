using FleetMfa.Agent.Platform;

namespace FleetMfa.Agent.Tests.Platform;

/// <summary>An <see cref="IPlatform"/> that records every policy request and refuses when told to.</summary>
public sealed class RecordingPlatform : IPlatform
{
    public List<PolicyRequest> Requests { get; } = [];

    public string? Refusal { get; set; }

    public string Os => "linux";

    public string OsVersion() => "test";

    public string Hostname() => "test";

    public bool? SshServerInstalled() => true;

    public IReadOnlyList<string> AuthPlugins() => [];

    public PolicyResult ApplyPolicy(PolicyRequest request)
    {
        Requests.Add(request);
        return Refusal is { } reason ? throw new PolicyException(reason) : new PolicyResult(["recorded"]);
    }

    /// <summary>What the next <see cref="CheckPolicy"/> answers (in effect unless a test says otherwise).</summary>
    public PolicyCheck Check { get; set; } = PolicyCheck.InEffect;

    public List<PolicyRequest> Checks { get; } = [];

    public PolicyCheck CheckPolicy(PolicyRequest request)
    {
        Checks.Add(request);
        return Check;
    }

    public IReadOnlyList<string> WatchedPaths() => [];

    public int Restores { get; private set; }

    public PolicyResult RestorePolicy()
    {
        Restores++;
        return new PolicyResult(["restored"]);
    }
}
