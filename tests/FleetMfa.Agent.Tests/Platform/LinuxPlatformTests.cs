using System.Runtime.Versioning;
using FleetMfa.Agent.Platform;
using FleetMfa.Agent.Platform.Linux;

namespace FleetMfa.Agent.Tests.Platform;

[UnsupportedOSPlatform("windows")]
public sealed class LinuxPlatformTests
{
    [Fact]
    public void The_daemon_watches_sshd_s_PAM_file_its_drop_ins_and_its_config_not_their_whole_directories()
    {
        var options = new SshPolicyOptions { DataDirectory = "/var/lib/fleetmfa-agent" };

        var paths = new LinuxPlatform(ssh: new SshPolicy(options)).WatchedPaths();

        // /etc/pam.d and /etc/ssh hold other files (and a test sshd's logs): a write to one must not set off a check.
        Assert.Equal(["/etc/pam.d/sshd", "/etc/ssh/sshd_config.d", "/etc/ssh/sshd_config"], paths);
        Assert.Empty(new LinuxPlatform(ssh: new SshPolicy(new SshPolicyOptions { DataDirectory = "/x", Enforce = false })).WatchedPaths());
    }
}
