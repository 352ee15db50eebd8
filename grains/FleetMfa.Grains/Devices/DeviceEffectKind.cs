namespace FleetMfa.Grains.Devices;

/// <summary>What a device grain does once a decision is stored (<see cref="DeviceEffect"/>).</summary>
public enum DeviceEffectKind
{
    /// <summary>Build the current desired state and publish it (retained) to the device's topic.</summary>
    PublishDesired,

    /// <summary>Bring the device's row in its org's index in line with the stored state.</summary>
    SyncIndex,

    /// <summary>Tell a rollout's shard how the version it waits for settled.</summary>
    NotifyRollout,

    /// <summary>Tell a user that this device no longer binds them.</summary>
    ForgetUserBinding,

    /// <summary>Make a decommissioned device's MQTT credentials invalid for good and end its broker session.</summary>
    RevokeAccess,

    /// <summary>Clear a decommissioned device's retained messages on the broker.</summary>
    ClearRetained,

    /// <summary>(Re)arm the reminder that revokes a decommissioned device after its grace period and forgets it after its retention.</summary>
    ArmDecommissionReminder,

    /// <summary>Give a bound user this device's public key (its agent enrolled after the binding), so the user seals its secret to it.</summary>
    ShareKeyWithUser,
}
