namespace FleetMfa.Protocol.Documents;

/// <summary>One login decision on a device. Never carries the code that was typed.</summary>
public sealed record AuditEvent(string Id, DateTimeOffset At, AuditOutcome Outcome, string LocalUsername, string? UserId);
