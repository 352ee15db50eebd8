namespace FleetMfa.Grains;

/// <summary>
/// An agent enrolling its device: what it reports of itself, its P-256 public key (SubjectPublicKeyInfo) and the
/// SHA-256 of the MQTT password the control plane just issued to it.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.AgentEnrollment")]
public sealed record AgentEnrollment(
    [property: Id(0)] string Hostname,
    [property: Id(1)] DeviceOs Os,
    [property: Id(2)] string OsVersion,
    [property: Id(3)] byte[] PublicKey,
    [property: Id(4)] byte[] MqttPasswordHash);
