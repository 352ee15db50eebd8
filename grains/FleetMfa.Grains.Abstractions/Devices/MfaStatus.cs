namespace FleetMfa.Grains;

/// <summary>Where a device stands against its desired MFA state (the lock icon).</summary>
public enum MfaStatus
{
    /// <summary>TOTP is not required on the device and the device is known to agree.</summary>
    Disabled,

    /// <summary>The desired state changed and the device has not acknowledged it yet.</summary>
    Pending,

    /// <summary>TOTP is required on the device and the device acknowledged it.</summary>
    Enabled,

    /// <summary>The device could not apply the desired state; see the reason.</summary>
    Failed,
}
