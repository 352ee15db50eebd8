namespace FleetMfa.Agent.Store;

public sealed record MqttEndpoint(string Host, int Port, bool UseTls, string Username, string TopicPrefix);
