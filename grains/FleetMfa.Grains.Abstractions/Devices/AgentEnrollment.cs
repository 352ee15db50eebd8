namespace FleetMfa.Grains;

/// <summary>
/// An agent enrolling its device: what it reports of itself, its P-256 public key (SubjectPublicKeyInfo), the
/// broker credential the control plane just issued to it: a client certificate for the agent's TLS key, or — for an
/// agent that sent no signing request, or a broker that takes passwords — the SHA-256 of an MQTT password.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.AgentEnrollment")]
public sealed record AgentEnrollment(
    [property: Id(0)] string Hostname,
    [property: Id(1)] DeviceOs Os,
    [property: Id(2)] string OsVersion,
    [property: Id(3)] byte[] PublicKey,
    [property: Id(4)] byte[]? MqttPasswordHash,
    [property: Id(5)] DeviceCertificate? Certificate = null);
