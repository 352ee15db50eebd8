namespace FleetMfa.Agent.Enrollment;

/// <summary>The device's own broker credential, issued once at enrollment: a client certificate where the broker takes them, else a password.</summary>
public sealed record EnrollMqtt(string Host, int Port, bool UseTls, string Username, string? Password, string TopicPrefix, EnrollCertificate? ClientCertificate = null);
