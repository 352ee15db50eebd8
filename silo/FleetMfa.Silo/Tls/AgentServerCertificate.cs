using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace FleetMfa.Silo.Tls;

/// <summary>
/// The agent endpoint's TLS certificate (also the embedded MQTT broker's), issued by the FleetMfa CA in memory (its key never touches the disk) and
/// issued again once a third of its lifetime is left, so a silo that runs for months never serves an expired one.
/// </summary>
public sealed class AgentServerCertificate(FleetMfaCertificateAuthority ca, IOptions<AgentTlsOptions> options, TimeProvider time) : IDisposable
{
    private readonly Lock _gate = new();
    private X509Certificate2? _certificate;
    private SslStreamCertificateContext? _context;

    /// <summary>The certificate and the chain sent with it, issued now if none is current.</summary>
    public SslStreamCertificateContext Current()
    {
        lock (_gate)
        {
            Renew();
            return _context!;
        }
    }

    /// <summary>The certificate (with its key), issued now if none is current: for servers that take a certificate alone (the embedded MQTT broker).</summary>
    public X509Certificate2 CurrentCertificate()
    {
        lock (_gate)
        {
            Renew();
            return _certificate!;
        }
    }

    private void Renew()
    {
        var now = time.GetUtcNow();
        if (_context is null || _certificate is null || now >= RenewAt(_certificate))
        {
            var lifetime = TimeSpan.FromDays(options.Value.ServerCertificateDays);
            var issued = ca.IssueServerCertificate(options.Value.ServerNames(), now, lifetime);
            // The previous certificate is left to the GC, not disposed: a handshake may still be using it.
            _context = SslStreamCertificateContext.Create(issued, [ca.Certificate], offline: true);
            _certificate = issued;
        }
    }

    private static DateTimeOffset RenewAt(X509Certificate2 certificate)
    {
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        return notBefore + ((notAfter - notBefore) * 2 / 3);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _certificate?.Dispose();
        }
    }
}
