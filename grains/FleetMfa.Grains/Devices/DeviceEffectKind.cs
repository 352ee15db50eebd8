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
}
