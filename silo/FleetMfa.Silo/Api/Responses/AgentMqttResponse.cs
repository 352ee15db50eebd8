namespace FleetMfa.Silo.Api.Responses;

public sealed record AgentMqttResponse(string Host, int Port, bool UseTls, string Username, string Password, string TopicPrefix);
