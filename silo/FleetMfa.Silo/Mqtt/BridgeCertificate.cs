using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using FleetMfa.Silo.Tls;

namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// The bridge's credential on a TLS broker: a client certificate for its account (<see cref="BridgeCredentials.Username"/>:
/// <see cref="BridgeCredentials.EmbeddedUsername"/> on the embedded broker, Mosquitto's bridge account on
/// <c>mqtts://</c>) the FleetMfa CA issues in memory for each connect (its key never leaves the process). The embedded
/// broker takes a bridge certificate only if this process issued it: the CA's signature alone does not make a bridge
/// there. (Mosquitto's ACL grants the account by name; the CA issues device certificates only for
/// <c>{orgId}/{deviceId}</c>, which never names a bridge account.)
/// </summary>
public sealed class BridgeCertificate(FleetMfaCertificateAuthority ca, BridgeCredentials credentials)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(1);
    private readonly ConcurrentDictionary<string, bool> _issued = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A new certificate with its key, valid for a day (a connect needs it for its handshake only).</summary>
    public X509Certificate2 Issue()
    {
        var certificate = ca.IssueClientCertificate(credentials.Username, TimeProvider.System.GetUtcNow(), Lifetime);
        _issued[certificate.SerialNumber] = true;
        return certificate;
    }

    /// <summary>Whether <paramref name="certificate"/> is one <see cref="Issue"/> made in this process.</summary>
    public bool IsIssued(X509Certificate2 certificate) => _issued.ContainsKey(certificate.SerialNumber);

    /// <summary>The CA the broker's certificate must chain to.</summary>
    public FleetMfaCertificateAuthority Authority => ca;
}
