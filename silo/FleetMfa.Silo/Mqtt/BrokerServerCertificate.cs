using System.Security.Cryptography.X509Certificates;
using FleetMfa.Silo.Tls;
using MQTTnet.Certificates;

namespace FleetMfa.Silo.Mqtt;

/// <summary>The embedded broker's TLS certificate: the agent endpoint's, asked for on every connection so a renewed one is served without a restart.</summary>
public sealed class BrokerServerCertificate(AgentServerCertificate certificate) : ICertificateProvider
{
    public X509Certificate2 GetCertificate() => certificate.CurrentCertificate();
}
