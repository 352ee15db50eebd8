namespace FleetMfa.Silo.Api.Requests;

public sealed record EnableMfaRequest(bool Force = false);
