namespace FleetMfa.Silo.Api.Requests;

public sealed record PutOrgRequest(string Name);
