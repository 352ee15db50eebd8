namespace FleetMfa.Agent.Enrollment;

/// <summary><c>POST /api/agent/certificate</c> body: the device and a signing request (DER, base64) for the key of its current certificate.</summary>
public sealed record RenewCertificateRequest(string OrgId, string DeviceId, string Csr);
