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

    /// <summary>
    /// Checks that the policy the device already applied (<paramref name="request"/>) is still in force — the files the
    /// agent manages and the configuration in effect — and repairs what drifted (a package upgrade rewriting a file,
    /// a deleted drop-in). Never loosens anything; a problem it cannot repair is reported, not hidden.
    /// </summary>
    PolicyCheck CheckPolicy(PolicyRequest request);

    /// <summary>
    /// Files (and directories, all of whose files count) whose changes can take the applied policy out of force; the
    /// daemon checks the policy when one changes. Only these: a busy directory (logs) must not set off a check per write.
    /// </summary>
    IReadOnlyList<string> WatchedPaths();

    /// <summary>
    /// Puts every file and setting the agent ever changed back as it was before, byte for byte, and drops the backups
    /// (uninstall; <c>fleetmfa-agent restore</c>). Throws <see cref="PolicyException"/> when something could not be put
    /// back; the backups of what was not restored are kept.
    /// </summary>
    PolicyResult RestorePolicy();
}
