namespace FleetMfa.Grains;

/// <summary>Where a rollout stands as a whole.</summary>
public enum RolloutStatus
{
    /// <summary>Devices are still being started or awaited.</summary>
    Running,

    /// <summary>Every device has an outcome.</summary>
    Completed,

    /// <summary>The abort threshold was reached: no new device was started after that, and the ones in flight have finished.</summary>
    Aborted,
}
