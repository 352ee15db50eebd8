namespace FleetMfa.Silo.Api.Requests;

/// <summary><c>POST …/api-keys</c>: a name, and optionally a lifetime in hours (1–87,600).</summary>
public sealed record CreateApiKeyRequest(string Name, int? ExpiresInHours = null);
