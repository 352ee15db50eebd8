namespace FleetMfa.Agent.Verification;

/// <summary>The system's user database as the login stack sees it (NSS on Linux: files, LDAP, SSSD, ...).</summary>
public interface IUserDirectory
{
    /// <summary>
    /// The uid <paramref name="username"/> resolves to, or <c>null</c> when there is no such user. Throws
    /// <see cref="IOException"/> when the database could not answer: that is not the same as "no such user".
    /// </summary>
    uint? FindUid(string username);
}
