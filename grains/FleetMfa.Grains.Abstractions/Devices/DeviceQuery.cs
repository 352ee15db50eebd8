namespace FleetMfa.Grains;

/// <summary>
/// A filtered page of an org's devices, ordered by id; <see cref="After"/> is the previous page's last id.
/// <see cref="Decommissioned"/> lists decommissioned devices (still within their retention) instead of the active ones.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.DeviceQuery")]
public sealed record DeviceQuery(
    [property: Id(0)] DeviceOs? Os,
    [property: Id(1)] MfaStatus? Mfa,
    [property: Id(2)] bool? Online,
    [property: Id(3)] string? After,
    [property: Id(4)] int Limit,
    [property: Id(5)] bool Decommissioned = false)
{
    public const int MaxLimit = 500;
    public const int DefaultLimit = 100;

    public bool Matches(DeviceRow row) =>
        row.Decommissioned == Decommissioned &&
        (Os is null || row.Os == Os) &&
        (Mfa is null || row.MfaStatus == Mfa) &&
        (Online is null || row.Online == Online) &&
        (After is null || string.CompareOrdinal(row.DeviceId, After) > 0);
}
