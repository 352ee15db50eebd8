namespace FleetMfa.Grains;

/// <summary>A new org-scoped operator or connect key. <see cref="Key"/> exists only in this response; the org keeps a hash.</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.ApiKeyCreated")]
public sealed record ApiKeyCreated(
    [property: Id(0)] string KeyId,
    [property: Id(1)] string Name,
    [property: Id(2)] string Key,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] DateTimeOffset? ExpiresAt = null,
    [property: Id(5)] int? MaxUses = null);
