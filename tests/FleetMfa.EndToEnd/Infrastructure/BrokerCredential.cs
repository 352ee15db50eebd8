using System.Security.Cryptography.X509Certificates;
using MQTTnet;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// An account's credential on a broker at 127.0.0.1:<see cref="Port"/>: a client certificate (with its key) on a TLS
/// port, or a password where the broker takes passwords. A device's, as its agent stored it (a probe then acts as the
/// device), or a test's own account (a writer or observer of every device's topics).
/// </summary>
public sealed record BrokerCredential(string Username, int Port, string? Password, X509Certificate2? Certificate)
{
    /// <summary>
    /// Connects as the account (client id: <paramref name="clientId"/>, else the username); the result says whether the
    /// broker accepted (a refused TLS handshake throws).
    /// </summary>
    public Task<(MqttProbe Probe, MqttClientConnectResultCode Result)> ConnectAsync(string? clientId = null) =>
        Certificate is not null
            ? MqttProbe.ConnectWithCertificateAsync(Port, Certificate, clientId ?? Username)
            : MqttProbe.ConnectAsync(Port, Username, Password ?? "", clientId);

    /// <summary><see cref="ConnectAsync"/> until the broker accepts (Mosquitto loads a new account on a reload), asserted.</summary>
    public Task<MqttProbe> ConnectEventuallyAsync() => MqttProbe.ConnectEventuallyAsync(() => ConnectAsync(), $"{Username} on 127.0.0.1:{Port}");
}
