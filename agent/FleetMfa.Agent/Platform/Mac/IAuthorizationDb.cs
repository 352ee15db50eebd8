namespace FleetMfa.Agent.Platform.Mac;

/// <summary>macOS's authorization database (<c>/var/db/auth.db</c>), one right at a time as its plist XML; and the installed plug-in bundles.</summary>
public interface IAuthorizationDb
{
    string ReadRight(string right);

    void WriteRight(string right, string plist);

    /// <summary>Bundle names in <c>/Library/Security/SecurityAgentPlugins</c> (without <c>.bundle</c>).</summary>
    IReadOnlyList<string> InstalledPlugins();
}
