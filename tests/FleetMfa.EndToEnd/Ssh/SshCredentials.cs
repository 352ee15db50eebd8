namespace FleetMfa.EndToEnd.Ssh;

/// <summary>What the SSH client offers: a password (answered to PAM's "Password:"), a key, and a TOTP code (answered to "Verification code:").</summary>
public sealed record SshCredentials(string User, string? Password, string? PrivateKeyPath, string? Code);
