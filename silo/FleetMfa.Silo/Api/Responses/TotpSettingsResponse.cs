namespace FleetMfa.Silo.Api.Responses;

public sealed record TotpSettingsResponse(bool Enabled, int Digits, int PeriodSeconds, string Algorithm, int DriftSteps);
