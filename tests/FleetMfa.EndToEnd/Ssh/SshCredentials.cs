namespace FleetMfa.EndToEnd.Ssh;

/// <summary>
/// What the SSH client offers: a password (answered to PAM's "Password:"), a key, and a TOTP code (answered to
/// "Verification code:"). <see cref="Account"/> is the account <c>id -un</c> names once in (another name of an account
/// logs in as the account's first name); <see cref="User"/> when not given.
/// </summary>
public sealed record SshCredentials(string User, string? Password, string? PrivateKeyPath, string? Code, string? Account = null)
{
    public string ExpectedAccount => Account ?? User;
}
