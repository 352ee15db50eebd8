namespace FleetMfa.Protocol.Documents;

/// <summary>
/// The complete state a device must enforce (retained on <c>…/desired</c>). A device applies it only when
/// <see cref="Version"/> is newer than the one it holds. <see cref="Mfa"/> is the effective switch: org TOTP ∧ device MFA.
/// </summary>
public sealed record DesiredState(
    int Schema,
    string OrgId,
    string DeviceId,
    long Version,
    bool Mfa,
    TotpSettings Totp,
    OsPolicy Policy,
    IReadOnlyList<DesiredUser> Users,
    DateTimeOffset IssuedAt)
{
    public const int CurrentSchema = 1;
}
