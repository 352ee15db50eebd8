namespace FleetMfa.Silo.Api.Requests;

public sealed record PatchOrgRequest(string? Name = null, int? EnrollmentPeriodHours = null);
