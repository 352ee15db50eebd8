namespace FleetMfa.Grains.Devices;

/// <summary>How a decommissioned device is revoked and forgotten (section <c>FleetMfa:Decommission</c>).</summary>
public sealed class DecommissionOptions
{
    public const string SectionName = "FleetMfa:Decommission";

    /// <summary>
    /// How long an agent has to acknowledge its wipe before its MQTT credentials are revoked without it (default 60 s).
    /// An acknowledged wipe revokes them at once.
    /// </summary>
    public TimeSpan RevokeGrace { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a decommissioned device's record is kept (its id cannot be enrolled again meanwhile); default 30 days.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);
}
