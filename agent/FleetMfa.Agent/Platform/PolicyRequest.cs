using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Platform;

/// <summary>The part of a desired state the OS enforces: the effective MFA switch, the OS policy and the local accounts prompted.</summary>
public sealed record PolicyRequest(long Version, bool Mfa, OsPolicy Policy, IReadOnlyList<string> PromptedUsers)
{
    /// <summary>MFA off: everything the agent changed goes back (restore, uninstall).</summary>
    public static PolicyRequest Off { get; } =
        new(0, false, new OsPolicy(new LinuxPolicy(false, false), new WindowsPolicy(false, false), new MacPolicy(true)), []);
}
