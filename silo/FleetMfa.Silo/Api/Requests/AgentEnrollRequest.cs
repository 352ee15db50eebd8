using FleetMfa.Grains;

namespace FleetMfa.Silo.Api.Requests;

/// <summary>
/// <c>POST /api/agent/enroll</c>: the agent's connect key, what it knows of its device, its P-256 public key
/// (SubjectPublicKeyInfo, base64) and a certificate signing request (PKCS#10, DER, base64) for its TLS key, which the
/// FleetMfa CA answers with the device's MQTT client certificate.
/// </summary>
public sealed record AgentEnrollRequest(string ConnectKey, string Hostname, DeviceOs Os, string OsVersion, string PublicKey, string? Csr = null);
