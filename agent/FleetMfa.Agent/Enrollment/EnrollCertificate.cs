namespace FleetMfa.Agent.Enrollment;

/// <summary>The device's MQTT client certificate as the control plane sends it (at enrollment and on renewal): PEM, with the CA that issued it.</summary>
public sealed record EnrollCertificate(string Certificate, string CaCertificate, DateTimeOffset NotAfter);
