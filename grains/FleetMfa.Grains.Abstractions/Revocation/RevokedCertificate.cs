namespace FleetMfa.Grains;

/// <summary>
/// A device certificate the control plane revoked: its serial (hex, as <c>X509Certificate2.SerialNumber</c> prints it),
/// the username it carries (its CN, <c>{orgId}/{deviceId}</c>), when it stops being valid anyway, and when it was revoked.
/// Listed until it has expired: after that no TLS handshake takes it.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.RevokedCertificate")]
public sealed record RevokedCertificate(
    [property: Id(0)] string Serial,
    [property: Id(1)] string Username,
    [property: Id(2)] DateTimeOffset NotAfter,
    [property: Id(3)] DateTimeOffset RevokedAt);
