using System.Text.Json.Serialization;

namespace FleetMfa.Protocol.Documents;

public enum AuditOutcome
{
    [JsonStringEnumMemberName("accepted")]
    Accepted,

    [JsonStringEnumMemberName("rejected")]
    Rejected,

    [JsonStringEnumMemberName("locked-out")]
    LockedOut,

    [JsonStringEnumMemberName("not-required")]
    NotRequired,

    [JsonStringEnumMemberName("repaired")]
    Repaired,

    [JsonStringEnumMemberName("unrepairable")]
    Unrepairable,

    [JsonStringEnumMemberName("refused")]
    Refused,
}
