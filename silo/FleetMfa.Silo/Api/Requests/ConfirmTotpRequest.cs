namespace FleetMfa.Silo.Api.Requests;

public sealed record ConfirmTotpRequest(string Code);
