namespace FleetMfa.Grains;

/// <summary>Org settings plus device counts by MFA status (GET /api/orgs/{orgId}).</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.OrgSummary")]
public sealed record OrgSummary(
    [property: Id(0)] OrgSettings Settings,
    [property: Id(1)] MfaStatusCounts Devices);
