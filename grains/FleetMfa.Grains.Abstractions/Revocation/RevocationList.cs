namespace FleetMfa.Grains;

/// <summary>
/// Every revoked device certificate that has not expired, as of <see cref="IssuedAt"/>, and the list's number: it grows
/// with every change, so a broker file written from an older list can be told from a newer one (a CRL's number).
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.RevocationList")]
public sealed record RevocationList(
    [property: Id(0)] long Number,
    [property: Id(1)] IReadOnlyList<RevokedCertificate> Certificates,
    [property: Id(2)] DateTimeOffset IssuedAt);
