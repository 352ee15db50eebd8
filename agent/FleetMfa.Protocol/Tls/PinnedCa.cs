using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FleetMfa.Protocol.Tls;

/// <summary>
/// Trust in a control plane from nothing but a CA fingerprint, as <c>kubeadm join</c> does: <see cref="FetchAsync"/>
/// reads the CA certificate the server publishes (<c>GET /api/agent/ca</c>) and keeps it only if its SHA-256 is the
/// pin; <see cref="CreateHandler"/> then completes a TLS handshake only with a server whose certificate that CA issued
/// — the one trust root, never the OS store — valid now, meant for servers and naming the host dialled.
/// </summary>
public static class PinnedCa
{
    public const string CaPath = "/api/agent/ca";

    /// <summary>The largest CA document read: a certificate in PEM is far smaller.</summary>
    public const int MaxCaBytes = 16 * 1024;

    /// <summary>The extended key usage a TLS server certificate must carry.</summary>
    public const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>The extended key usage a TLS client certificate (a device's MQTT identity) must carry.</summary>
    public const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>
    /// The CA certificate <paramref name="server"/> publishes, when its SHA-256 is <paramref name="fingerprint"/> and it
    /// is a CA; <see cref="CryptographicException"/> otherwise. The connection that carries it is not trusted for
    /// anything: only this public document travels on it, and the pin authenticates it.
    /// </summary>
    public static async Task<X509Certificate2> FetchAsync(Uri server, string fingerprint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (!CaFingerprint.IsWellFormed(fingerprint))
        {
            throw new ArgumentException("A CA fingerprint is 64 lowercase hex digits.", nameof(fingerprint));
        }

        using var handler = new SocketsHttpHandler();
        handler.SslOptions.EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
        handler.SslOptions.CertificateRevocationCheckMode = X509RevocationMode.NoCheck;

        // The CA is not known yet (a server does not send its root): the handshake is completed for a certificate that
        // names this host, nothing secret is sent, and both the answer and that certificate are checked once the pinned
        // CA is in hand.
        X509Certificate2? presented = null;
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
            {
                return false;
            }

            presented ??= X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return presented.RawDataMemory.Span.SequenceEqual(certificate.GetRawCertData());
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30), MaxResponseContentBufferSize = MaxCaBytes };
        string pem;
        try
        {
            pem = await http.GetStringAsync(new Uri(server, CaPath), cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new CryptographicException($"could not read the control plane's CA from {new Uri(server, CaPath)}: {ex.Message}", ex);
        }

        X509Certificate2 ca;
        try
        {
            ca = X509CertificateLoader.LoadCertificate(PemEncoding.Find(pem) is var fields && pem[fields.Label] == "CERTIFICATE"
                ? Convert.FromBase64String(pem[fields.Base64Data])
                : throw new CryptographicException("no certificate"));
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or CryptographicException)
        {
            throw new CryptographicException("the server's CA document is not a PEM certificate", ex);
        }

        using (presented)
        {
            if (!CaFingerprint.Matches(ca, fingerprint) || !IsCa(ca) || presented is null || !Verify(presented, ca, fingerprint, DateTimeOffset.UtcNow))
            {
                ca.Dispose();
                throw new CryptographicException(
                    "the server's certificate does not chain to the CA whose fingerprint the connect key carries: this is not the control plane the key was made for (or something is in the middle)");
            }
        }

        return ca;
    }

    /// <summary>An HTTP handler whose TLS handshakes succeed only with servers <paramref name="ca"/> vouches for.</summary>
    public static SocketsHttpHandler CreateHandler(X509Certificate2 ca, TimeProvider? time = null) => Trust(new SocketsHttpHandler(), ca, time);

    /// <summary>Makes <paramref name="handler"/>'s TLS handshakes succeed only with servers <paramref name="ca"/> vouches for.</summary>
    public static SocketsHttpHandler Trust(SocketsHttpHandler handler, X509Certificate2 ca, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(ca);
        handler.SslOptions.EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
        handler.SslOptions.CertificateRevocationCheckMode = X509RevocationMode.NoCheck;
        var fingerprint = CaFingerprint.Of(ca);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            Validate(certificate, errors, ca, fingerprint, (time ?? TimeProvider.System).GetUtcNow());
        return handler;
    }

    /// <summary>The handshake's check: refuses a missing certificate or a name mismatch, then <see cref="Verify"/>.</summary>
    public static bool Validate(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2 ca, string fingerprint, DateTimeOffset now) =>
        certificate is X509Certificate2 leaf &&
        (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) == 0 &&
        Verify(leaf, ca, fingerprint, now);

    /// <summary>
    /// A server's check of a client's certificate: refuses a missing one, then <see cref="Verify"/> for client
    /// authentication (chain errors are the OS store's verdict, which the pinned CA replaces).
    /// </summary>
    public static bool ValidateClient(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2 ca, string fingerprint, DateTimeOffset now) =>
        certificate is X509Certificate2 leaf &&
        (errors & SslPolicyErrors.RemoteCertificateNotAvailable) == 0 &&
        Verify(leaf, ca, fingerprint, now, ClientAuthenticationOid);

    /// <summary>
    /// True when <paramref name="ca"/> is the CA <paramref name="fingerprint"/> names and <paramref name="leaf"/> is a
    /// certificate it issued directly for <paramref name="purpose"/> (an extended key usage OID: servers unless told),
    /// valid at <paramref name="now"/>. The CA itself (or any certificate that is its own issuer) presented as the
    /// peer's certificate is refused.
    /// </summary>
    public static bool Verify(X509Certificate2 leaf, X509Certificate2 ca, string fingerprint, DateTimeOffset now, string purpose = ServerAuthenticationOid)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(ca);
        if (!CaFingerprint.Matches(ca, fingerprint) || !IsCa(ca) || CaFingerprint.Matches(leaf, fingerprint))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(purpose));
        try
        {
            return chain.Build(leaf) && chain.ChainElements.Count == 2 && CaFingerprint.Matches(chain.ChainElements[^1].Certificate, fingerprint);
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                element.Certificate.Dispose();
            }
        }
    }

    private static bool IsCa(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true };
}
