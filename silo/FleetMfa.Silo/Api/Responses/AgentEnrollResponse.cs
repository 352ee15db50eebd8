namespace FleetMfa.Silo.Api.Responses;

/// <summary>
/// The device's identity, its own broker credentials (the password is shown only here) and the key its desired states
/// are signed with, which the agent pins.
/// </summary>
public sealed record AgentEnrollResponse(string OrgId, string DeviceId, AgentMqttResponse Mqtt, AgentSigningKeyResponse SigningKey);
