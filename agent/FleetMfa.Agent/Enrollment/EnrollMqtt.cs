namespace FleetMfa.Agent.Enrollment;

/// <summary>The device's own broker credentials, issued once at enrollment: a password, and a client certificate when the broker takes TLS ones.</summary>
public sealed record EnrollMqtt(string Host, int Port, bool UseTls, string Username, string Password, string TopicPrefix, EnrollCertificate? ClientCertificate = null);
