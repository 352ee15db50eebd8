using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Store;

/// <summary>The desired state the device enforces, with secrets unsealed; only ever stored encrypted.</summary>
public sealed record AppliedState(
    long Version,
    bool Mfa,
    TotpSettings Totp,
    OsPolicy Policy,
    IReadOnlyList<LocalUser> Users,
    DateTimeOffset AppliedAt)
{
    public LocalUser? FindByLocalUsername(string localUsername) =>
        Users.FirstOrDefault(u => string.Equals(u.LocalUsername, localUsername, StringComparison.Ordinal));
}
