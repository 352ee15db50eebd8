namespace FleetMfa.Agent.Cli;

/// <summary>
/// The <c>status</c> command's JSON. Never carries a secret. <see cref="StateError"/> says why an enrolled device
/// has no applied state to show (then <c>verify</c> fails closed); <c>null</c> when there is nothing wrong.
/// </summary>
public sealed record StatusReport(bool Enrolled, string? OrgId, string? DeviceId, long AppliedVersion, bool Mfa, IReadOnlyList<StatusUser> Users, string? StateError);
