namespace FleetMfa.Grains.Revocation;

[GenerateSerializer, Alias("fleetmfa.CertificateRevocationState")]
public sealed class CertificateRevocationState
{
    /// <summary>Grows with every change of <see cref="Certificates"/>: the number of the CRL made from it.</summary>
    [Id(0)] public long Number { get; set; }

    [Id(1)] public List<RevokedCertificate> Certificates { get; set; } = [];
}
