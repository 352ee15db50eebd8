using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FleetMfa.Protocol.Tls;

namespace FleetMfa.Silo.Tls;

/// <summary>
/// The FleetMfa CA: an ECDSA (P-256 when generated) self-signed CA that issues the agent endpoint's server certificate
/// and the devices' MQTT client certificates. Agents pin its <see cref="Fingerprint"/>, which every connect key carries. The
/// private key stays in here; <see cref="Certificate"/> is the public certificate only.
/// </summary>
public sealed class FleetMfaCertificateAuthority : IDisposable
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(3650);

    private const string P256Oid = "1.2.840.10045.3.1.7";

    private readonly X509Certificate2 _withKey;

    private FleetMfaCertificateAuthority(X509Certificate2 withKey)
    {
        _withKey = withKey;
        Certificate = X509CertificateLoader.LoadCertificate(withKey.RawData);
        Fingerprint = CaFingerprint.Of(Certificate);
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>SHA-256 of the CA certificate, 64 lowercase hex digits.</summary>
    public string Fingerprint { get; }

    /// <summary>A new CA, valid from an hour before <paramref name="now"/> for <see cref="DefaultLifetime"/>.</summary>
    public static FleetMfaCertificateAuthority Create(DateTimeOffset now, string name = "FleetMfa CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedName($"CN={name} {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}, O=FleetMfa");
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        using var certificate = request.CreateSelfSigned(now.AddHours(-1), now + DefaultLifetime);
        return new FleetMfaCertificateAuthority(Reload(certificate));
    }

    /// <summary>The CA as PEM: its certificate followed by its PKCS#8 private key (a file of it must be 0600).</summary>
    public string ExportPem()
    {
        var key = _withKey.GetECDsaPrivateKey() ?? throw new InvalidOperationException("The CA has no private key.");
        using (key)
        {
            return _withKey.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n";
        }
    }

    /// <summary>
    /// Loads a CA from PEM: <paramref name="certificatePem"/> holds the certificate, <paramref name="keyPem"/> its
    /// private key (both may be the same text). Throws <see cref="CryptographicException"/> unless it is a CA that may sign
    /// certificates, valid at <paramref name="now"/>, with the matching private key.
    /// </summary>
    public static FleetMfaCertificateAuthority FromPem(string certificatePem, string keyPem, DateTimeOffset now)
    {
        using var certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            throw new CryptographicException("the certificate is not a CA (basic constraints CA:TRUE missing)");
        }

        if (certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } usage && !usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign))
        {
            throw new CryptographicException("the CA certificate's key usage does not allow signing certificates (keyCertSign)");
        }

        if (now < certificate.NotBefore.ToUniversalTime() || now >= certificate.NotAfter.ToUniversalTime())
        {
            throw new CryptographicException($"the CA certificate is not valid now (valid {certificate.NotBefore:u} to {certificate.NotAfter:u})");
        }

        if (!certificate.HasPrivateKey)
        {
            throw new CryptographicException("the CA's private key is missing");
        }

        using (var ecdsa = certificate.GetECDsaPublicKey())
        {
            if (ecdsa is null)
            {
                throw new CryptographicException("the CA's key must be ECDSA (P-256 recommended)");
            }
        }

        return new FleetMfaCertificateAuthority(Reload(certificate));
    }

    /// <summary>
    /// A TLS server certificate for <paramref name="hosts"/> (DNS names and IP addresses, as subject alternative names)
    /// with a fresh P-256 key, signed by this CA, valid from five minutes before <paramref name="now"/> for
    /// <paramref name="lifetime"/> (never past the CA's own expiry).
    /// </summary>
    public X509Certificate2 IssueServerCertificate(IEnumerable<string> hosts, DateTimeOffset now, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        var names = new SubjectAlternativeNameBuilder();
        var first = "";
        foreach (var host in hosts.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(host, out var address))
            {
                names.AddIpAddress(address);
            }
            else
            {
                names.AddDnsName(host);
            }

            first = first.Length == 0 ? host : first;
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={(first.Length == 0 ? "fleetmfa" : first)}, O=FleetMfa"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(names.Build());
        AddAuthorityKeyIdentifier(request);
        using var issued = request.Create(_withKey, NotBefore(now.AddMinutes(-5)), NotAfter(now + lifetime), NewSerial());
        using var withKey = issued.CopyWithPrivateKey(key);
        return Reload(withKey);
    }

    /// <summary>
    /// A TLS client certificate for the key of <paramref name="signingRequest"/> (a PKCS#10 request in DER, whose
    /// signature proves its sender holds that key), naming <paramref name="commonName"/> — a device's
    /// <c>{orgId}/{deviceId}</c> — valid from five minutes before <paramref name="now"/> for <paramref name="lifetime"/>
    /// (never past the CA's own expiry). Only what the CA decides goes in: the request's own subject and extensions are
    /// ignored. Throws <see cref="CryptographicException"/> for a request that is malformed, badly signed, or for any
    /// key but ECDSA P-256. The certificate returned holds no private key: the device's never leaves it.
    /// </summary>
    public X509Certificate2 IssueClientCertificate(ReadOnlySpan<byte> signingRequest, string commonName, DateTimeOffset now, TimeSpan lifetime) =>
        IssueClientCertificate(ReadSigningRequest(signingRequest), commonName, now, lifetime);

    /// <summary>
    /// As <see cref="IssueClientCertificate(ReadOnlySpan{byte}, string, DateTimeOffset, TimeSpan)"/>, for a request
    /// <see cref="ReadSigningRequest"/> has read (and so verified) already.
    /// </summary>
    public X509Certificate2 IssueClientCertificate(CertificateRequest requested, string commonName, DateTimeOffset now, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(requested);
        ArgumentException.ThrowIfNullOrEmpty(commonName);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName("FleetMfa");
        subject.AddCommonName(commonName);
        var request = new CertificateRequest(subject.Build(), requested.PublicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(PinnedCa.ClientAuthenticationOid)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        AddAuthorityKeyIdentifier(request);
        using var issued = request.Create(_withKey, NotBefore(now.AddMinutes(-5)), NotAfter(now + lifetime), NewSerial());
        return X509CertificateLoader.LoadCertificate(issued.RawData);
    }

    /// <summary>
    /// A PKCS#10 request (DER) whose signature verifies, with nothing after it, for an ECDSA P-256 key;
    /// <see cref="CryptographicException"/> otherwise.
    /// </summary>
    public static CertificateRequest ReadSigningRequest(ReadOnlySpan<byte> signingRequest)
    {
        var requested = CertificateRequest.LoadSigningRequest(signingRequest, HashAlgorithmName.SHA256, out var consumed, CertificateRequestLoadOptions.Default);
        if (consumed != signingRequest.Length)
        {
            throw new CryptographicException("the certificate signing request has trailing data");
        }

        using var key = requested.PublicKey.GetECDsaPublicKey();
        return key?.ExportParameters(includePrivateParameters: false).Curve.Oid.Value == P256Oid
            ? requested
            : throw new CryptographicException("the certificate signing request's key must be ECDSA P-256");
    }

    /// <summary>
    /// A client certificate with a fresh P-256 key that never leaves memory (the silo's own MQTT bridge), as
    /// <see cref="IssueClientCertificate(ReadOnlySpan{byte}, string, DateTimeOffset, TimeSpan)"/> issues one, with its private key.
    /// </summary>
    public X509Certificate2 IssueClientCertificate(string commonName, DateTimeOffset now, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signingRequest = new CertificateRequest($"CN={nameof(FleetMfaCertificateAuthority)}", key, HashAlgorithmName.SHA256).CreateSigningRequest();
        using var issued = IssueClientCertificate(signingRequest, commonName, now, lifetime);
        using var withKey = issued.CopyWithPrivateKey(key);
        return Reload(withKey);
    }

    /// <summary>
    /// A CRL (DER) naming <paramref name="revoked"/> (serials in hex, as <c>X509Certificate2.SerialNumber</c> prints them),
    /// numbered <paramref name="number"/>, valid until <paramref name="nextUpdate"/>. Its thisUpdate is an hour before
    /// <paramref name="now"/>: a broker whose clock is a little behind must not find it "not yet valid" and refuse everyone.
    /// </summary>
    public byte[] BuildRevocationList(IEnumerable<(string Serial, DateTimeOffset RevokedAt)> revoked, long number, DateTimeOffset now, DateTimeOffset nextUpdate)
    {
        ArgumentNullException.ThrowIfNull(revoked);
        var builder = new CertificateRevocationListBuilder();
        foreach (var (serial, revokedAt) in revoked)
        {
            builder.AddEntry(Convert.FromHexString(serial), revokedAt, X509RevocationReason.CessationOfOperation);
        }

        return builder.Build(_withKey, number, nextUpdate, HashAlgorithmName.SHA256, thisUpdate: now.AddHours(-1));
    }

    /// <summary>
    /// Names the issuing key when the CA names its own (a CA given by configuration may not: openssl's defaults for
    /// <c>req -x509</c> do not always add one); chains are built by subject name either way.
    /// </summary>
    private void AddAuthorityKeyIdentifier(CertificateRequest request)
    {
        if (_withKey.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Any())
        {
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_withKey, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        }
    }

    /// <summary>
    /// What an issued certificate's start may be: <paramref name="wanted"/> (a few minutes back, for clocks a little
    /// behind), never before the CA's own (a CA made a moment ago, as openssl makes one, starts now).
    /// </summary>
    private DateTimeOffset NotBefore(DateTimeOffset wanted)
    {
        var caNotBefore = new DateTimeOffset(_withKey.NotBefore.ToUniversalTime());
        return wanted > caNotBefore ? wanted : caNotBefore;
    }

    /// <summary>What an issued certificate's expiry may be: <paramref name="wanted"/>, never past the CA's own.</summary>
    private DateTimeOffset NotAfter(DateTimeOffset wanted)
    {
        var caNotAfter = new DateTimeOffset(_withKey.NotAfter.ToUniversalTime());
        return wanted < caNotAfter ? wanted : caNotAfter;
    }

    /// <summary>A positive 16-byte serial number (the DER integer's high bit clear).</summary>
    private static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        serial[0] |= 0x01;
        return serial;
    }

    /// <summary>Through PKCS#12 so the key is usable by SslStream on every platform (ephemeral keys are not on Windows).</summary>
    private static X509Certificate2 Reload(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null, X509KeyStorageFlags.Exportable);

    public void Dispose()
    {
        _withKey.Dispose();
        Certificate.Dispose();
    }
}
