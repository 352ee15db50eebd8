using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Platform;

/// <summary>The part of a desired state the OS enforces: the effective MFA switch, the OS policy and the local accounts prompted.</summary>
public sealed record PolicyRequest(long Version, bool Mfa, OsPolicy Policy, IReadOnlyList<string> PromptedUsers);
