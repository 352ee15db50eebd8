namespace FleetMfa.Grains;

[GenerateSerializer, Immutable, Alias("fleetmfa.UserInfo")]
public sealed record UserInfo(
    [property: Id(0)] string OrgId,
    [property: Id(1)] string UserId,
    [property: Id(2)] string Username,
    [property: Id(3)] string? Email,
    [property: Id(4)] TotpStatus TotpStatus,
    [property: Id(5)] int SecretVersion,
    [property: Id(6)] DateTimeOffset? EnrollmentExpiresAt,
    [property: Id(7)] DateTimeOffset? EnrolledAt,
    [property: Id(8)] IReadOnlyList<string> Devices);
