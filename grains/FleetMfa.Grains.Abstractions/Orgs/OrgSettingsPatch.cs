namespace FleetMfa.Grains;

/// <summary>A partial update of org settings; <c>null</c> members stay as they are.</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.OrgSettingsPatch")]
public sealed record OrgSettingsPatch(
    [property: Id(0)] string? Name,
    [property: Id(1)] TimeSpan? EnrollmentPeriod);
