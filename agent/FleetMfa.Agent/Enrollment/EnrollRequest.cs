namespace FleetMfa.Agent.Enrollment;

/// <summary>
/// <c>POST /api/agent/enroll</c> body; <see cref="PublicKey"/> is the device's P-256 SubjectPublicKeyInfo, base64, and
/// <see cref="Csr"/> a PKCS#10 signing request (DER, base64) for its TLS key.
/// </summary>
public sealed record EnrollRequest(string ConnectKey, string Hostname, string Os, string OsVersion, string PublicKey, string Csr);
