namespace FleetMfa.Silo.Api.Requests;

/// <summary>
/// <c>POST /api/agent/certificate</c>: a device asks for a new MQTT client certificate. The signing request (PKCS#10,
/// DER, base64) must be for the key of the device's current certificate; its signature proves the caller holds that key.
/// </summary>
public sealed record RenewCertificateRequest(string OrgId, string DeviceId, string Csr);
