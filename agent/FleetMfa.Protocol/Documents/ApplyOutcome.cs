using System.Text.Json.Serialization;

namespace FleetMfa.Protocol.Documents;

public enum ApplyOutcome
{
    [JsonStringEnumMemberName("applied")]
    Applied,

    [JsonStringEnumMemberName("failed")]
    Failed,
}
