namespace FleetMfa.Agent.Store;

/// <summary>
/// What enrollment produced: who this device is, how it reaches its broker, and the key its desired states must be
/// signed with (<see cref="SigningKey"/>; null in a store enrolled before desired states were signed, whose daemon then
/// trusts no desired state at all), and the CA its control plane's TLS certificate must chain to (<see cref="ServerCa"/>;
/// null for a device enrolled with <c>--insecure</c> over plain HTTP or with a key that carried no CA fingerprint), and
/// the MQTT client certificate it connects with over TLS (<see cref="MqttCertificate"/>; null: it logs in with its
/// password, <see cref="ProtectedMqttPassword"/>, which is empty for a device that has a certificate instead).
/// </summary>
public sealed record AgentConfig(
    string Server,
    string OrgId,
    string DeviceId,
    MqttEndpoint Mqtt,
    byte[] ProtectedMqttPassword,
    VerificationSettings Verification,
    PinnedSigningKey? SigningKey = null,
    PinnedServerCa? ServerCa = null,
    MqttClientCertificate? MqttCertificate = null);
