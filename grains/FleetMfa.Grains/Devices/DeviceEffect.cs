namespace FleetMfa.Grains.Devices;

/// <summary>
/// One thing a device grain must do because of a change it stored: kept in the device's outbox, in the same write as
/// the change, until it has been done, so it is neither lost in a crash nor run for a change that was never stored.
/// Every effect is idempotent: running one twice (after a crash between doing it and forgetting it) is harmless.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.DeviceEffect")]
public sealed record DeviceEffect(
    [property: Id(0)] DeviceEffectKind Kind,
    [property: Id(1)] string? UserId = null,
    [property: Id(2)] RolloutWatch? Rollout = null,
    [property: Id(3)] RolloutStep? Step = null,
    [property: Id(4)] IReadOnlyList<DeviceCertificate>? Certificates = null)
{
    public static DeviceEffect PublishDesired { get; } = new(DeviceEffectKind.PublishDesired);

    public static DeviceEffect SyncIndex { get; } = new(DeviceEffectKind.SyncIndex);

    public static DeviceEffect NotifyRollout(RolloutWatch rollout, RolloutStep step) => new(DeviceEffectKind.NotifyRollout, Rollout: rollout, Step: step);

    /// <summary>The device's broker credentials go, <paramref name="certificates"/> (the ones it held) among them.</summary>
    public static DeviceEffect RevokeAccess(IReadOnlyList<DeviceCertificate> certificates) => new(DeviceEffectKind.RevokeAccess, Certificates: certificates);

    public static DeviceEffect ClearRetained { get; } = new(DeviceEffectKind.ClearRetained);

    public static DeviceEffect ArmDecommissionReminder { get; } = new(DeviceEffectKind.ArmDecommissionReminder);

    public static DeviceEffect ForgetUserBinding(string userId) => new(DeviceEffectKind.ForgetUserBinding, UserId: userId);

    public static DeviceEffect ShareKeyWithUser(string userId) => new(DeviceEffectKind.ShareKeyWithUser, UserId: userId);

    /// <summary>By value, certificates by serial: the outbox recognises an effect it read back from storage as the one it ran.</summary>
    public bool Equals(DeviceEffect? other) =>
        other is not null && Kind == other.Kind && UserId == other.UserId && Equals(Rollout, other.Rollout) && Equals(Step, other.Step) &&
        Serials(Certificates).SequenceEqual(Serials(other.Certificates), StringComparer.OrdinalIgnoreCase);

    public override int GetHashCode() => HashCode.Combine(Kind, UserId, Rollout, Step);

    private static IEnumerable<string> Serials(IReadOnlyList<DeviceCertificate>? certificates) => certificates?.Select(c => c.Serial) ?? [];
}
