using System.Text.Json.Serialization;

namespace FleetMfa.Protocol.Documents;

public enum PolicyEnforcementStatus
{
    [JsonStringEnumMemberName("repaired")]
    Repaired,

    [JsonStringEnumMemberName("not-effective")]
    NotEffective,
}
