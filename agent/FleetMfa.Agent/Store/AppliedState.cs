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
    /// <summary>The control plane's TOTP defaults (DESIGN §3): 6 digits, 30 s, SHA1, ±1 step.</summary>
    public static TotpSettings DefaultTotp { get; } = new(6, 30, "SHA1", 1);

    /// <summary>The control plane's default device settings: SSH password then code, Windows and macOS hardening on.</summary>
    public static OsPolicy DefaultPolicy { get; } = new(new LinuxPolicy(true, false), new WindowsPolicy(true, true), new MacPolicy(true));

    /// <summary>
    /// What enrollment stores before any desired state arrives: version 0, MFA off, no users. An enrolled store always
    /// has a state, so a missing <c>state.bin</c> is a store error, never "no code required".
    /// </summary>
    public static AppliedState Initial(DateTimeOffset enrolledAt) => new(0, false, DefaultTotp, DefaultPolicy, [], enrolledAt);

    /// <summary>The bound user whose local username is exactly <paramref name="localUsername"/> (ordinal).</summary>
    public LocalUser? FindByLocalUsername(string localUsername) =>
        Users.FirstOrDefault(u => string.Equals(u.LocalUsername, localUsername, StringComparison.Ordinal));
}
