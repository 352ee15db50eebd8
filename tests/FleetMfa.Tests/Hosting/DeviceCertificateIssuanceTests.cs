using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FleetMfa.Protocol.Tls;
using FleetMfa.Silo.Tls;

namespace FleetMfa.Tests.Hosting;

/// <summary>
/// The FleetMfa CA issues a device's MQTT client certificate from its signing request: for the request's key only,
/// under the name the CA decides, for clients only, for the lifetime asked; a request that is not a well-signed P-256
/// one gets nothing.
/// </summary>
public sealed class DeviceCertificateIssuanceTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private readonly FleetMfaCertificateAuthority _ca = FleetMfaCertificateAuthority.Create(Now);

    [Fact]
    public void A_certificate_names_the_device_carries_the_requests_key_and_passes_the_client_check_but_not_the_server_check()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=acme/someone-else, O=Evil", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, false, 0, true));

        using var issued = _ca.IssueClientCertificate(request.CreateSigningRequest(), "acme/laptop-1", Now, TimeSpan.FromDays(30));

        Assert.Equal("acme/laptop-1", issued.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.False(issued.HasPrivateKey);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), issued.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.False(issued.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(Now.AddDays(30).UtcDateTime, issued.NotAfter.ToUniversalTime());
        Assert.True(PinnedCa.Verify(issued, _ca.Certificate, _ca.Fingerprint, Now.AddDays(29), PinnedCa.ClientAuthenticationOid));
        Assert.False(PinnedCa.Verify(issued, _ca.Certificate, _ca.Fingerprint, Now.AddDays(31), PinnedCa.ClientAuthenticationOid));
        Assert.False(PinnedCa.Verify(issued, _ca.Certificate, _ca.Fingerprint, Now, PinnedCa.ServerAuthenticationOid));
    }

    [Fact]
    public void A_server_certificate_does_not_pass_the_client_check()
    {
        using var server = _ca.IssueServerCertificate(["localhost"], Now, TimeSpan.FromDays(30));

        Assert.False(PinnedCa.Verify(server, _ca.Certificate, _ca.Fingerprint, Now, PinnedCa.ClientAuthenticationOid));
    }

    [Fact]
    public void Two_certificates_for_the_same_request_have_different_serials()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256).CreateSigningRequest();

        using var first = _ca.IssueClientCertificate(csr, "acme/a", Now, TimeSpan.FromDays(30));
        using var second = _ca.IssueClientCertificate(csr, "acme/a", Now, TimeSpan.FromDays(30));

        Assert.NotEqual(first.SerialNumber, second.SerialNumber);
    }

    [Fact]
    public void A_tampered_request_another_curve_an_RSA_key_or_trailing_bytes_get_nothing()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var tampered = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256).CreateSigningRequest();
        tampered[^1] ^= 1;
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var rsa = RSA.Create(2048);
        byte[] trailing = [.. new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256).CreateSigningRequest(), 0];

        foreach (var csr in new[]
        {
            tampered,
            new CertificateRequest("CN=x", p384, HashAlgorithmName.SHA256).CreateSigningRequest(),
            new CertificateRequest("CN=x", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequest(),
            trailing,
            [0x30, 0x03, 0x02, 0x01, 0x00],
        })
        {
            Assert.ThrowsAny<CryptographicException>(() => _ca.IssueClientCertificate(csr, "acme/a", Now, TimeSpan.FromDays(30)));
        }
    }

    public void Dispose() => _ca.Dispose();
}
