using FleetMfa.Agent.Store;

namespace FleetMfa.Agent.Daemon;

/// <summary>The state in force after an apply, whether it changed, and the version that failed (with why), if one did.</summary>
public sealed record ApplyResult(AppliedState? State, bool Changed, long? FailedVersion, string? Reason);
