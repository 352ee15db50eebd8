using FleetMfa.Agent.Platform.Linux;
using FleetMfa.Agent.Platform.Mac;
using FleetMfa.Agent.Platform.Windows;

namespace FleetMfa.Agent.Platform;

public static class Platforms
{
    /// <summary>The platform this agent runs on; originals of what it changes are kept under <c>DATA_DIR/backup</c>.</summary>
    public static IPlatform Current(string dataDirectory)
    {
        var backup = Path.Combine(dataDirectory, "backup");
        if (OperatingSystem.IsWindows())
        {
            return new WindowsPlatform(new WindowsRegistry(), backup);
        }

        if (OperatingSystem.IsMacOS())
        {
            return new MacPlatform(new SecurityAuthorizationDb(), backup);
        }

        var ssh = SshPolicyOptions.FromEnvironment(dataDirectory);
        return new LinuxPlatform(sshdPath: ssh.SshdBinary, ssh: new SshPolicy(ssh));
    }
}
