namespace FleetMfa.Grains.Security;

/// <summary>Configuration of <see cref="AesGcmSecretProtector"/>.</summary>
public sealed class SecretProtectionOptions
{
    public const string SectionName = "FleetMfa:SecretProtection";

    /// <summary>The 256-bit master key, base64. The host fills it from configuration, the environment or a key file.</summary>
    public string MasterKey { get; set; } = "";
}
