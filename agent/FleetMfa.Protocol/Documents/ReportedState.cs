using System.Text.Json.Serialization;

namespace FleetMfa.Protocol.Documents;

/// <summary>
/// What the agent reports (on <c>…/reported</c>) after each desired state it receives and on every (re)connect.
/// <see cref="AppliedVersion"/> is the version the device enforces now; when a newer version could not be applied,
/// <see cref="FailedVersion"/> and <see cref="Reason"/> say which and why (the device keeps enforcing the old one).
/// <see cref="Enforcement"/> is what the agent's last check of the applied version's OS policy found (absent: in
/// effect, or never checked). <see cref="Wiped"/> (present only when true) is a decommissioned agent's last word: it
/// restored the OS files it managed and deleted its store, at <see cref="AppliedVersion"/> (the decommission version).
/// </summary>
public sealed record ReportedState(
    int Schema,
    long AppliedVersion,
    long? FailedVersion,
    string? Reason,
    DeviceReport Device,
    IReadOnlyList<ReportedUser> Users,
    DateTimeOffset At,
    PolicyEnforcement? Enforcement = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Wiped = false)
{
    public const int CurrentSchema = 1;
    public const int MaxReasonLength = 500;
}
