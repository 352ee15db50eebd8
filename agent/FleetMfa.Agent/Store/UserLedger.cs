namespace FleetMfa.Agent.Store;

public sealed class UserLedger
{
    /// <summary>The secret version <see cref="LastAcceptedStep"/> belongs to; a new secret starts a new ledger.</summary>
    public int SecretVersion { get; set; }

    public long LastAcceptedStep { get; set; } = long.MinValue;

    public List<DateTimeOffset> Failures { get; init; } = [];
}
