namespace FleetMfa.Silo.Api.Responses;

/// <summary>A device's MQTT client certificate (PEM), the FleetMfa CA that issued it and that the broker's certificate chains to (PEM), and its expiry.</summary>
public sealed record AgentCertificateResponse(string Certificate, string CaCertificate, DateTimeOffset NotAfter);
