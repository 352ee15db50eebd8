namespace FleetMfa.Grains;

/// <summary>Whether a bound user is prompted on the device.</summary>
public enum OnDeviceStatus
{
    /// <summary>The device holds the user's current secret and prompts for a code.</summary>
    Active,

    /// <summary>The user must be prompted, but the device has not confirmed it holds the current secret.</summary>
    Pending,

    /// <summary>No prompt: MFA is not required on the device, or the user has not completed setup.</summary>
    NotRequired,
}
