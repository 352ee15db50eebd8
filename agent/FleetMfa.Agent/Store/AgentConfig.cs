namespace FleetMfa.Agent.Store;

/// <summary>What enrollment produced: who this device is and how it reaches its broker.</summary>
public sealed record AgentConfig(
    string Server,
    string OrgId,
    string DeviceId,
    MqttEndpoint Mqtt,
    byte[] ProtectedMqttPassword,
    VerificationSettings Verification);
