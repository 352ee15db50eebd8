namespace FleetMfa.Agent.Enrollment;

public sealed record EnrollResponse(string OrgId, string DeviceId, EnrollMqtt Mqtt, EnrollSigningKey? SigningKey);
