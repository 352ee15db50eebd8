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
    [property: Id(3)] RolloutStep? Step = null)
{
    public static DeviceEffect PublishDesired { get; } = new(DeviceEffectKind.PublishDesired);

    public static DeviceEffect SyncIndex { get; } = new(DeviceEffectKind.SyncIndex);

    public static DeviceEffect NotifyRollout(RolloutWatch rollout, RolloutStep step) => new(DeviceEffectKind.NotifyRollout, Rollout: rollout, Step: step);

    public static DeviceEffect RevokeAccess { get; } = new(DeviceEffectKind.RevokeAccess);

    public static DeviceEffect ClearRetained { get; } = new(DeviceEffectKind.ClearRetained);

    public static DeviceEffect ArmDecommissionReminder { get; } = new(DeviceEffectKind.ArmDecommissionReminder);

    public static DeviceEffect ForgetUserBinding(string userId) => new(DeviceEffectKind.ForgetUserBinding, UserId: userId);

    public static DeviceEffect ShareKeyWithUser(string userId) => new(DeviceEffectKind.ShareKeyWithUser, UserId: userId);
}
