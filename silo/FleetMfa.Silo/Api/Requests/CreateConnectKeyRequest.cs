namespace FleetMfa.Silo.Api.Requests;

/// <summary><c>POST …/connect-keys</c>: optionally a name, a lifetime in hours (1–87,600) and a number of enrollments (1–100,000).</summary>
public sealed record CreateConnectKeyRequest(string Name = "agents", int? ExpiresInHours = null, int? MaxUses = null);
