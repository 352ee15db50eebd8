namespace FleetMfa.Protocol.Documents;

/// <summary>
/// What the agent reports (on <c>…/reported</c>) after applying — or failing to apply — a desired state, and on
/// every (re)connect. <see cref="AppliedVersion"/> is the version the device enforces now.
/// </summary>
public sealed record ReportedState(
    int Schema,
    long AppliedVersion,
    ApplyOutcome Outcome,
    string? Reason,
    DeviceReport Device,
    IReadOnlyList<ReportedUser> Users,
    DateTimeOffset At)
{
    public const int CurrentSchema = 1;
}
