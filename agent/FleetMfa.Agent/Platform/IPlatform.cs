namespace FleetMfa.Agent.Platform;

/// <summary>What differs per OS: the facts the agent reports, and how it brings the OS in line with the desired policy.</summary>
public interface IPlatform
{
    string Os { get; }

    string OsVersion();

    string Hostname();

    /// <summary>Whether an OpenSSH server is installed; <c>null</c> where the question does not apply.</summary>
    bool? SshServerInstalled();

    /// <summary>Other authentication / authorization plug-ins that would conflict with ours.</summary>
    IReadOnlyList<string> AuthPlugins();

    /// <summary>
    /// Makes the OS enforce <paramref name="request"/> (MFA on: the login prompts and OS policies; MFA off: what the
    /// agent changed is put back). Idempotent: applying the same request twice changes nothing the second time. Anything
    /// the agent changes is backed up first. Throws <see cref="PolicyException"/> when the request cannot be enforced;
    /// then nothing was changed.
    /// </summary>
    PolicyResult ApplyPolicy(PolicyRequest request);
}
