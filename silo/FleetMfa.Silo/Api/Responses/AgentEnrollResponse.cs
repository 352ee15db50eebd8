namespace FleetMfa.Silo.Api.Responses;

/// <summary>The device's identity and its own broker credentials; the password is shown only here.</summary>
public sealed record AgentEnrollResponse(string OrgId, string DeviceId, AgentMqttResponse Mqtt);
