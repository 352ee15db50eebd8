namespace FleetMfa.Grains;

/// <summary>
/// A connect key as listed: its limits and what is left of them, never its secret or the secret's hash. Uses are
/// counted for a key with a use limit only (<see cref="Uses"/> is null for a key without: its enrollments cost the org
/// no write each).
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.ConnectKeyInfo")]
public sealed record ConnectKeyInfo(
    [property: Id(0)] string KeyId,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] DateTimeOffset? LastUsedAt,
    [property: Id(4)] DateTimeOffset? ExpiresAt,
    [property: Id(5)] bool Expired,
    [property: Id(6)] int? Uses,
    [property: Id(7)] int? MaxUses,
    [property: Id(8)] int? RemainingUses);
