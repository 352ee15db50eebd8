using System.Diagnostics;

namespace FleetMfa.Agent.Platform.Mac;

/// <summary>macOS: facts from <c>sw_vers</c> and the authorization database; the login window's right per <see cref="LoginWindowPlan"/>.</summary>
public sealed class MacPlatform(IAuthorizationDb db, string backupDirectory) : IPlatform
{
    private readonly LoginWindowEnforcer _enforcer = new(db, backupDirectory);

    public string Os => "macos";

    public string OsVersion()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("/usr/bin/sw_vers", "-productVersion") { RedirectStandardOutput = true, UseShellExecute = false });
            var version = process?.StandardOutput.ReadToEnd().Trim();
            process?.WaitForExit();
            return version is { Length: > 0 } ? version : Environment.OSVersion.Version.ToString();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return Environment.OSVersion.Version.ToString();
        }
    }

    public string Hostname() => MachineName.Current();

    /// <summary>macOS MFA is for the login window, not SSH.</summary>
    public bool? SshServerInstalled() => null;

    public IReadOnlyList<string> AuthPlugins() => _enforcer.OtherPlugins();

    public PolicyResult ApplyPolicy(PolicyRequest request) => _enforcer.Apply(request);

    /// <summary>The authorization database can be rewritten by any admin; re-applying the same request puts the right back.</summary>
    public PolicyCheck CheckPolicy(PolicyRequest request)
    {
        var result = _enforcer.Apply(request);
        return result.Changed ? PolicyCheck.Repaired(result.Changes) : PolicyCheck.InEffect;
    }

    public IReadOnlyList<string> WatchedPaths() => [];

    public PolicyResult RestorePolicy() => _enforcer.Apply(PolicyRequest.Off);
}
