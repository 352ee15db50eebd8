namespace FleetMfa.Grains;

/// <summary>SSH login options of a Linux device. MFA cannot be on while both are allowed (<c>linux-ssh-conflict</c>).</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.LinuxSettings")]
public sealed record LinuxSettings(
    [property: Id(0)] bool SshPasswordLogin,
    [property: Id(1)] bool SshPublicKeyAuth)
{
    public static LinuxSettings Default { get; } = new(SshPasswordLogin: true, SshPublicKeyAuth: false);
}
