namespace FleetMfa.Grains.Orgs;

/// <summary>An operator or connect key as stored: the SHA-256 of its secret part, never the key.</summary>
[GenerateSerializer, Alias("fleetmfa.ApiKeyRecord")]
public sealed class ApiKeyRecord
{
    [Id(0)] public string KeyId { get; set; } = "";
    [Id(1)] public string Name { get; set; } = "";
    [Id(2)] public byte[] SecretHash { get; set; } = [];
    [Id(3)] public DateTimeOffset CreatedAt { get; set; }

    /// <summary>From this instant on the key is refused; null: it does not expire.</summary>
    [Id(4)] public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>When the key last opened something, to within <see cref="OrgDecisions.LastUseResolution"/>; null: never.</summary>
    [Id(5)] public DateTimeOffset? LastUsedAt { get; set; }

    /// <summary>Connect keys: how many enrollments the key allows; null: no limit.</summary>
    [Id(6)] public int? MaxUses { get; set; }

    /// <summary>Connect keys with a use limit: enrollments made with the key (counted, and stored, before each enrollment goes ahead); 0 for a key without.</summary>
    [Id(7)] public int Uses { get; set; }

    public bool IsLive(DateTimeOffset now) => (ExpiresAt is not { } expires || now < expires) && (MaxUses is not { } max || Uses < max);

    public bool Opens(string keyId, byte[] secretHash, DateTimeOffset now) =>
        KeyId == keyId && secretHash is not null && Security.ApiKeys.HashesEqual(SecretHash, secretHash) && IsLive(now);
}
