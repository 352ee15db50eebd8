using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FleetMfa.Agent.Tests.Protocol;

/// <summary>CAs and server certificates made with the BCL for the pinning tests (the silo's own CA type is not visible here).</summary>
public static class TestCertificates
{
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static X509Certificate2 Ca(string name = "Test CA", bool isCa = true, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, isCa, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(isCa ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign : X509KeyUsageFlags.DigitalSignature, true));
        if (!isCa)
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        }

        return request.CreateSelfSigned(Now.AddDays(-100), notAfter ?? Now.AddYears(5));
    }

    public static X509Certificate2 Server(X509Certificate2 ca, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, string usage = "1.3.6.1.5.5.7.3.1")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        // Signed with the issuer's key directly: the BCL's own checks of the issuer would stop the bad cases being made.
        using var issuerKey = ca.GetECDsaPrivateKey()!;
        return request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), notBefore ?? Now.AddDays(-1), notAfter ?? Now.AddDays(30), RandomNumberGenerator.GetBytes(12));
    }

    public static string Fingerprint(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
}
