namespace FleetMfa.Silo.Api;

public sealed record HealthReport(string Status, string Storage, int ActiveSilos);
