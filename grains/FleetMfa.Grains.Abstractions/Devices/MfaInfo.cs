namespace FleetMfa.Grains;

/// <summary>
/// A device's MFA twin: <see cref="Desired"/> is the device switch, <see cref="Required"/> whether TOTP is in force
/// (org switch ∧ device switch), <see cref="Status"/> whether the device has caught up with <see cref="DesiredVersion"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.MfaInfo")]
public sealed record MfaInfo(
    [property: Id(0)] bool Desired,
    [property: Id(1)] bool Required,
    [property: Id(2)] MfaStatus Status,
    [property: Id(3)] long DesiredVersion,
    [property: Id(4)] long AppliedVersion,
    [property: Id(5)] string? Reason,
    [property: Id(6)] IReadOnlyList<string> Warnings);
