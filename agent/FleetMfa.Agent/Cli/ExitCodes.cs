namespace FleetMfa.Agent.Cli;

/// <summary>Exit codes of DESIGN §5; PAM and the credential provider depend on them.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Rejected = 1;
    public const int UsageOrStoreError = 2;
    public const int LockedOut = 3;

    /// <summary><c>verify --check-required</c> only: this user must give a code (0 there means no prompt: MFA off or user not set up).</summary>
    public const int CodeRequired = 4;

    /// <summary>
    /// <c>run</c> only: the device was decommissioned — a signed decommission document arrived, the OS files were
    /// restored, the store deleted and the wipe reported. Not an error; a supervisor must not restart the daemon
    /// (the systemd unit's <c>RestartPreventExitStatus=5</c>).
    /// </summary>
    public const int Decommissioned = 5;
}
