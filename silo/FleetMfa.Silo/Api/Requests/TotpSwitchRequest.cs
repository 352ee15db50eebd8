namespace FleetMfa.Silo.Api.Requests;

public sealed record TotpSwitchRequest(bool Enabled);
