using FleetMfa.Agent.Platform.Linux;

namespace FleetMfa.Agent.Platform;

/// <summary>
/// Linux facts from <c>/etc/os-release</c> and the file system, and SSH MFA through sshd and PAM (<see cref="SshPolicy"/>;
/// without one the agent only reports). Paths are injectable for tests.
/// </summary>
public sealed class LinuxPlatform(string osReleasePath = "/etc/os-release", string sshdPath = "/usr/sbin/sshd", SshPolicy? ssh = null) : IPlatform
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

    public string Hostname() => MachineName.Current();

    public bool? SshServerInstalled() => File.Exists(sshdPath);

    public IReadOnlyList<string> AuthPlugins() => [];

    /// <summary>Linux MFA is for SSH (DESIGN §1): the Linux part of the policy goes to sshd and PAM.</summary>
    public PolicyResult ApplyPolicy(PolicyRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ssh?.Apply(request.Mfa, request.Policy.Linux, request.PromptedUsers) ?? PolicyResult.Unchanged;
    }

    public PolicyCheck CheckPolicy(PolicyRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ssh?.Check(request.Mfa, request.Policy.Linux, request.PromptedUsers) ?? PolicyCheck.InEffect;
    }

    /// <summary>sshd's PAM service file, its drop-in directory and its main configuration file.</summary>
    public IReadOnlyList<string> WatchedPaths() =>
        ssh is not { Options.Enforce: true } ? [] : [ssh.Options.PamServiceFile, ssh.Options.SshdConfigDirectory, ssh.Options.SshdConfigFile];

    public PolicyResult RestorePolicy() => ssh?.Restore() ?? PolicyResult.Unchanged;

    private static string Unquote(string value) => value.Trim().Trim('"', '\'');
}
