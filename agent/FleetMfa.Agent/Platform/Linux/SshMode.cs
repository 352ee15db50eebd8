namespace FleetMfa.Agent.Platform.Linux;

/// <summary>How SSH logins are asked for the TOTP code (DESIGN §1: never both password and key while MFA is on).</summary>
public enum SshMode
{
    /// <summary>MFA off: the machine's own sshd and PAM configuration, untouched.</summary>
    Off,

    /// <summary>Password, then the code, both through keyboard-interactive (PAM asks for both).</summary>
    PasswordThenCode,

    /// <summary>A public key, then the code through keyboard-interactive (PAM asks only for the code).</summary>
    PublicKeyThenCode,
}
