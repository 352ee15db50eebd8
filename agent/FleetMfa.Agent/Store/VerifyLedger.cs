namespace FleetMfa.Agent.Store;

/// <summary>Per local user: the last accepted time step (replay) and recent failures (lockout). Holds no secret.</summary>
public sealed class VerifyLedger
{
    public Dictionary<string, UserLedger> Users { get; init; } = new(StringComparer.Ordinal);

    public UserLedger For(string localUsername)
    {
        if (!Users.TryGetValue(localUsername, out var ledger))
        {
            ledger = new UserLedger();
            Users[localUsername] = ledger;
        }

        return ledger;
    }
}
