namespace FleetMfa.Silo.Api.Responses;

/// <summary>
/// Where and how the device reaches its broker: over TLS (<see cref="UseTls"/>) with <see cref="ClientCertificate"/>
/// when the control plane issued one (and then no <see cref="Password"/>), else with its password.
/// </summary>
public sealed record AgentMqttResponse(string Host, int Port, bool UseTls, string Username, string? Password, string TopicPrefix, AgentCertificateResponse? ClientCertificate = null);
