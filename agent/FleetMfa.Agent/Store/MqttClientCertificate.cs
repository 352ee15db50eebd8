namespace FleetMfa.Agent.Store;

/// <summary>
/// The device's MQTT client certificate (DER), its private key (PKCS#8, sealed with the store key: <see cref="AgentStore.Protect"/>)
/// and the CA (DER) the broker's certificate must chain to. Kept in <c>config.json</c>; renewal replaces the certificate.
/// </summary>
public sealed record MqttClientCertificate(byte[] Certificate, byte[] ProtectedKey, byte[] Ca)
{
    public const string KeyPurpose = "fleetmfa-agent/mqtt-tls-key/v1";
}
