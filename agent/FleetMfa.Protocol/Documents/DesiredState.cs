using System.Text.Json.Serialization;

namespace FleetMfa.Protocol.Documents;

/// <summary>
/// The complete state a device must enforce (retained on <c>…/desired</c>). A device applies it only when
/// <see cref="Version"/> is newer than the one it holds. <see cref="Mfa"/> is the effective switch: org TOTP ∧ device MFA.
/// <see cref="Decommission"/> (present only when true, so older documents and agents are unchanged) is the device's
/// last desired state: the agent restores the OS files it manages, deletes its store, reports <c>wiped</c> and stops.
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
    DateTimeOffset IssuedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Decommission = false)
{
    public const int CurrentSchema = 1;
}
