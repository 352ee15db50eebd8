using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>Client certificates the tests make: from a CA whose key they hold, or from a CA of a stranger's own.</summary>
public static class TestCertificates
{
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    /// <summary>
    /// A client certificate for <paramref name="commonName"/> with a new P-256 key, issued by <paramref name="ca"/> (with
    /// its key) as the silo issues a device's (client authentication only), valid from five minutes ago (or from the
    /// CA's own start, for a CA made just now) for a day.
    /// </summary>
    public static X509Certificate2 IssueClient(X509Certificate2 ca, string commonName)
    {
        ArgumentNullException.ThrowIfNull(ca);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={commonName}, O=FleetMfa"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ClientAuthentication], critical: false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        var now = DateTimeOffset.UtcNow;
        var caNotBefore = new DateTimeOffset(ca.NotBefore.ToUniversalTime());
        using var issued = request.Create(ca, caNotBefore > now.AddMinutes(-5) ? caNotBefore : now.AddMinutes(-5), now.AddDays(1), serial);
        return WithKey(issued, key);
    }

    /// <summary>A certificate for <paramref name="name"/> with client authentication, signed by a CA of its own: what a stranger can make.</summary>
    public static X509Certificate2 SelfIssued(string name)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Not FleetMfa", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        return IssueClient(ca, name);
    }

    /// <summary><paramref name="certificate"/> with <paramref name="key"/>, loaded so that TLS can use the key.</summary>
    public static X509Certificate2 WithKey(X509Certificate2 certificate, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var withKey = certificate.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
    }
}
