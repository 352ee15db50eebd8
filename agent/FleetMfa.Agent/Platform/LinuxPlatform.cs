namespace FleetMfa.Agent.Platform;

/// <summary>Linux facts from <c>/etc/os-release</c> and the file system; paths are injectable for tests.</summary>
public sealed class LinuxPlatform(string osReleasePath = "/etc/os-release", string sshdPath = "/usr/sbin/sshd") : IPlatform
{
    public string Os => "linux";

    public string OsVersion()
    {
        if (!File.Exists(osReleasePath))
        {
            return Environment.OSVersion.Version.ToString();
        }

        string? id = null, version = null;
        foreach (var line in File.ReadLines(osReleasePath))
        {
            if (line.StartsWith("ID=", StringComparison.Ordinal))
            {
                id = Unquote(line[3..]);
            }
            else if (line.StartsWith("VERSION_ID=", StringComparison.Ordinal))
            {
                version = Unquote(line[11..]);
            }
        }

        return (id, version) switch
        {
            (not null, not null) => $"{id} {version}",
            _ => version ?? id ?? Environment.OSVersion.Version.ToString(),
        };
    }

    /// <summary>The machine name, or <c>FLEETMFA_AGENT_HOSTNAME</c> (several agents on one machine: demos, load tests).</summary>
    public string Hostname() => Environment.GetEnvironmentVariable("FLEETMFA_AGENT_HOSTNAME") is { Length: > 0 } name ? name : Environment.MachineName;

    public bool? SshServerInstalled() => File.Exists(sshdPath);

    public IReadOnlyList<string> AuthPlugins() => [];

    private static string Unquote(string value) => value.Trim().Trim('"', '\'');
}
