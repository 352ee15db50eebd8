namespace FleetMfa.Silo.Api;

public sealed record HealthReport(string Status, string Storage, string Broker, string Reminders, int ActiveSilos);
