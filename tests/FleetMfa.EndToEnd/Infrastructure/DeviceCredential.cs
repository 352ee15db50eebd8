using System.Security.Cryptography.X509Certificates;
using MQTTnet;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// A device's own broker credential as its agent stored it — its client certificate (with the key, unsealed) on the
/// embedded broker's TLS port, or its password where the broker takes passwords — for a probe that acts as the device.
/// </summary>
public sealed record DeviceCredential(string Username, int Port, string? Password, X509Certificate2? Certificate)
{
    /// <summary>Connects as the device; the result says whether the broker accepted (a refused TLS handshake throws).</summary>
    public Task<(MqttProbe Probe, MqttClientConnectResultCode Result)> ConnectAsync() =>
        Certificate is not null
            ? MqttProbe.ConnectWithCertificateAsync(Port, Certificate, Username)
            : MqttProbe.ConnectAsync(Port, Username, Password ?? "");

    /// <summary><see cref="ConnectAsync"/> until the broker accepts (Mosquitto loads a new account on a reload), asserted.</summary>
    public Task<MqttProbe> ConnectEventuallyAsync() => MqttProbe.ConnectEventuallyAsync(ConnectAsync, $"{Username} on 127.0.0.1:{Port}");
}
