using System.Text.Json.Serialization;

namespace FleetMfa.Agent.Store;

public sealed class UserLedger
{
    /// <summary>The secret version <see cref="LastAcceptedStep"/> belongs to; a new secret starts a new ledger.</summary>
    public int SecretVersion { get; set; }

    public long LastAcceptedStep { get; set; } = long.MinValue;

    /// <summary>Recent failed codes (lockout); a ledger of an earlier version holds plain wall-clock times here.</summary>
    [JsonConverter(typeof(FailureListJsonConverter))]
    public List<FailureStamp> Failures { get; init; } = [];
}
