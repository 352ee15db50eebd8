using FleetMfa.Agent.Platform.Mac;

namespace FleetMfa.Agent.Tests.Platform;

/// <summary>The authorization database in a dictionary: the unit-test stand-in for <see cref="SecurityAuthorizationDb"/>.</summary>
public sealed class InMemoryAuthorizationDb(string consoleRight) : IAuthorizationDb
{
    public Dictionary<string, string> Rights { get; } = new() { [LoginWindowPlan.LoginWindowRight] = consoleRight };

    public List<string> Written { get; } = [];

    public List<string> Bundles { get; } = [];

    public string ReadRight(string right) => Rights[right];

    public void WriteRight(string right, string plist)
    {
        Written.Add(right);
        Rights[right] = plist;
    }

    public IReadOnlyList<string> InstalledPlugins() => Bundles;
}
