namespace FleetMfa.Grains;

/// <summary>A started TOTP setup. The secret leaves the control plane only in this response, once.</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.TotpEnrollment")]
public sealed record TotpEnrollment(
    [property: Id(0)] string Secret,
    [property: Id(1)] string OtpauthUri,
    [property: Id(2)] string QrSvg,
    [property: Id(3)] DateTimeOffset ExpiresAt)
{
    /// <summary>Keeps the secret out of logs and debugger views should the record ever be printed.</summary>
    public override string ToString() => $"TotpEnrollment {{ ExpiresAt = {ExpiresAt:O} }}";
}
