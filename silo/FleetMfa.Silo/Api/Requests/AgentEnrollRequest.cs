using FleetMfa.Grains;

namespace FleetMfa.Silo.Api.Requests;

/// <summary><c>POST /api/agent/enroll</c>: the agent's connect key, what it knows of its device, and its P-256 public key (SubjectPublicKeyInfo, base64).</summary>
public sealed record AgentEnrollRequest(string ConnectKey, string Hostname, DeviceOs Os, string OsVersion, string PublicKey);
