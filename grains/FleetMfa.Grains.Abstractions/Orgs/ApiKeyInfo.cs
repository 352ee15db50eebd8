namespace FleetMfa.Grains;

/// <summary>An operator key as listed: never its secret or the secret's hash.</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.ApiKeyInfo")]
public sealed record ApiKeyInfo(
    [property: Id(0)] string KeyId,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] DateTimeOffset? LastUsedAt,
    [property: Id(4)] DateTimeOffset? ExpiresAt,
    [property: Id(5)] bool Expired);
