namespace FleetMfa.Agent.Enrollment;

/// <summary><c>POST /api/agent/enroll</c> body; <see cref="PublicKey"/> is the device's P-256 SubjectPublicKeyInfo, base64.</summary>
public sealed record EnrollRequest(string ConnectKey, string Hostname, string Os, string OsVersion, string PublicKey);
