namespace FleetMfa.Protocol.Documents;

/// <summary>
/// One event on a device: a login decision (<see cref="Action"/> <c>login</c> or absent; never carries the code that was
/// typed), or what the agent did to keep the OS policy in force (<see cref="AuditActions"/>; <see cref="Detail"/> says
/// what, and <see cref="LocalUsername"/> is absent).
/// </summary>
public sealed record AuditEvent(
    string Id,
    DateTimeOffset At,
    AuditOutcome Outcome,
    string? LocalUsername,
    string? UserId,
    string? Action = null,
    string? Detail = null)
{
    public const int MaxDetailLength = 500;
}
