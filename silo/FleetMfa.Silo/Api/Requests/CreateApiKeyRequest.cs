namespace FleetMfa.Silo.Api.Requests;

public sealed record CreateApiKeyRequest(string Name);
