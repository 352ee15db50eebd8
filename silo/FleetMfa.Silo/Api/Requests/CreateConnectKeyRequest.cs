namespace FleetMfa.Silo.Api.Requests;

public sealed record CreateConnectKeyRequest(string Name = "agents");
