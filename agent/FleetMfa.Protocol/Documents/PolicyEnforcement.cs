namespace FleetMfa.Protocol.Documents;

/// <summary>
/// The agent's last check that the applied version's OS policy is still in force: <see cref="Status"/>
/// <c>repaired</c> (something had drifted and was put back) or <c>not-effective</c> (it is not in force and the agent
/// could not fix it), with what it found (<see cref="Detail"/>, starting with a stable code) and when.
/// </summary>
public sealed record PolicyEnforcement(PolicyEnforcementStatus Status, string Detail, DateTimeOffset CheckedAt);
