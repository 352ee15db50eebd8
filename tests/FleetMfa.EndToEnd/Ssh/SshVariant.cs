namespace FleetMfa.EndToEnd.Ssh;

/// <summary>The two Linux SSH settings MFA allows (DESIGN §1): password login, or public-key authentication — never both.</summary>
public enum SshVariant
{
    /// <summary><c>sshPasswordLogin</c>: password, then the code.</summary>
    Password,

    /// <summary><c>sshPublicKeyAuth</c>: key, then the code.</summary>
    PublicKey,
}
