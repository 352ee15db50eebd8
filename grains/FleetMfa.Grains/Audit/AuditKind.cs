namespace FleetMfa.Grains.Audit;

/// <summary>Who wrote an audit record: an operator through the admin API, or a device's agent.</summary>
public enum AuditKind
{
    /// <summary>A mutating admin API call (admin or operator key).</summary>
    Operator,

    /// <summary>A login decision a device's agent made offline and uploaded.</summary>
    Device,
}
