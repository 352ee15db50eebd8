using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FleetMfa.Agent.Store;
using FleetMfa.Protocol.Tls;

namespace FleetMfa.Agent.Enrollment;

/// <summary>
/// The device's MQTT client certificate on the agent's side: a P-256 TLS key made at enrollment (its own, not the
/// device's sealing key) and kept sealed in <c>config.json</c>; signing requests for it; the checks a certificate the
/// control plane sends must pass before it is kept; and when to renew (a third of its lifetime left).
/// </summary>
public static class DeviceCertificates
{
    private const string RequestSubject = "CN=fleetmfa-agent";

    /// <summary>A new TLS key, sealed with the store key, and a signing request for it (DER, base64).</summary>
    public static (byte[] ProtectedKey, string Csr) NewKey(AgentStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pkcs8 = key.ExportPkcs8PrivateKey();
        try
        {
            return (store.Protect(pkcs8, MqttClientCertificate.KeyPurpose), SigningRequest(key));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>A signing request (DER, base64) for the key of <paramref name="current"/>: what a renewal sends.</summary>
    public static string SigningRequest(AgentStore store, MqttClientCertificate current)
    {
        ArgumentNullException.ThrowIfNull(current);
        using var key = OpenKey(store, current.ProtectedKey);
        return SigningRequest(key);
    }

    /// <summary>
    /// What to keep of a certificate the control plane sent: it must be for the key sealed in
    /// <paramref name="protectedKey"/>, and issued for client authentication by its CA — the pinned one when enrollment
    /// pinned one (<paramref name="pinnedCa"/>), else (<c>--insecure</c>) the CA sent with it. Throws
    /// <see cref="EnrollmentException"/> otherwise, and nothing is kept.
    /// </summary>
    public static MqttClientCertificate Accept(AgentStore store, EnrollCertificate sent, byte[] protectedKey, byte[]? pinnedCa, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(sent);
        try
        {
            using var certificate = X509Certificate2.CreateFromPem(sent.Certificate);
            using var ca = X509Certificate2.CreateFromPem(sent.CaCertificate);
            if (pinnedCa is { Length: > 0 } && !ca.RawDataMemory.Span.SequenceEqual(pinnedCa))
            {
                throw new EnrollmentException("the server's MQTT certificate comes from a CA other than the one this device pinned");
            }

            using var key = OpenKey(store, protectedKey);
            if (!certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()) ||
                !PinnedCa.Verify(certificate, ca, CaFingerprint.Of(ca), time.GetUtcNow(), PinnedCa.ClientAuthenticationOid))
            {
                throw new EnrollmentException("the server sent an MQTT client certificate that is not for this device's key, or not a client certificate its CA issued");
            }

            return new MqttClientCertificate(certificate.RawData, protectedKey, ca.RawData);
        }
        catch (CryptographicException ex)
        {
            throw new EnrollmentException($"the server sent an MQTT client certificate that cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>The certificate with its private key, for a TLS handshake (through PKCS#12, so SslStream can use the key on every platform).</summary>
    public static X509Certificate2 LoadForTls(AgentStore store, MqttClientCertificate mqtt)
    {
        ArgumentNullException.ThrowIfNull(mqtt);
        using var key = OpenKey(store, mqtt.ProtectedKey);
        using var certificate = X509CertificateLoader.LoadCertificate(mqtt.Certificate);
        using var withKey = certificate.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>Whether <paramref name="mqtt"/>'s certificate is due for renewal at <paramref name="now"/>: a third of its lifetime or less is left.</summary>
    public static bool RenewalDue(MqttClientCertificate mqtt, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(mqtt);
        using var certificate = X509CertificateLoader.LoadCertificate(mqtt.Certificate);
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        return now >= notBefore + ((notAfter - notBefore) * 2 / 3);
    }

    private static ECDsa OpenKey(AgentStore store, byte[] protectedKey)
    {
        ArgumentNullException.ThrowIfNull(store);
        var pkcs8 = store.Unprotect(protectedKey, MqttClientCertificate.KeyPurpose);
        try
        {
            var key = ECDsa.Create();
            key.ImportPkcs8PrivateKey(pkcs8, out _);
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private static string SigningRequest(ECDsa key) =>
        Convert.ToBase64String(new CertificateRequest(RequestSubject, key, HashAlgorithmName.SHA256).CreateSigningRequest());
}
