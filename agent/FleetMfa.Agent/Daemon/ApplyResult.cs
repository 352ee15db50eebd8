using FleetMfa.Agent.Store;

namespace FleetMfa.Agent.Daemon;

/// <summary>The state in force after an apply, and the version that failed (with why), if one did.</summary>
public sealed record ApplyResult(AppliedState? State, long? FailedVersion, string? Reason);
