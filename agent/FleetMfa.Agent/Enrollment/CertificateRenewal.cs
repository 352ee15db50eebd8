using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using FleetMfa.Agent.Store;
using FleetMfa.Protocol.Tls;

namespace FleetMfa.Agent.Enrollment;

/// <summary>
/// Renews the device's MQTT client certificate (<c>POST /api/agent/certificate</c>): a signing request for the same
/// key, sent over TLS to the pinned CA's server only (or, for a store enrolled with <c>--insecure</c>, to a server the
/// system trusts), and the certificate that comes back kept only if it passes <see cref="DeviceCertificates.Accept"/>
/// against the same CA as before. <paramref name="transport"/> replaces the network in unit tests only.
/// </summary>
public sealed class CertificateRenewal(AgentStore store, HttpMessageHandler? transport = null)
{
    public const string Path = "/api/agent/certificate";

    /// <summary>The renewed certificate, for the key and from the CA of <paramref name="config"/>'s; <see cref="EnrollmentException"/> when refused.</summary>
    public async Task<MqttClientCertificate> RenewAsync(AgentConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        var current = config.MqttCertificate ?? throw new InvalidOperationException("This device has no MQTT client certificate to renew.");
        var pinned = config.ServerCa is { Certificate.Length: > 0 } serverCa ? serverCa.Certificate : current.Ca;
        using var ca = X509CertificateLoader.LoadCertificate(pinned);
        using var http = transport is not null
            ? new HttpClient(transport, disposeHandler: false)
            : new HttpClient(config.ServerCa is { Certificate.Length: > 0 } ? PinnedCa.CreateHandler(ca) : new SocketsHttpHandler());
        http.Timeout = TimeSpan.FromSeconds(30);
        var request = new RenewCertificateRequest(config.OrgId, config.DeviceId, DeviceCertificates.SigningRequest(store, current));
        using var response = await http.PostAsJsonAsync(new Uri(new Uri(config.Server), Path), request, AgentJsonContext.Default.RenewCertificateRequest, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new EnrollmentException($"the server refused to renew the MQTT client certificate ({(int)response.StatusCode})");
        }

        var sent = await response.Content.ReadFromJsonAsync(AgentJsonContext.Default.EnrollCertificate, cancellationToken)
            ?? throw new EnrollmentException("the server sent an empty certificate renewal");
        return DeviceCertificates.Accept(store, sent, current.ProtectedKey, pinned, TimeProvider.System);
    }
}
