namespace FleetMfa.Agent.Cli;

/// <summary>The <c>status</c> command's JSON. Never carries a secret.</summary>
public sealed record StatusReport(bool Enrolled, string? OrgId, string? DeviceId, long AppliedVersion, bool Mfa, IReadOnlyList<StatusUser> Users);
