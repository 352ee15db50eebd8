using System.Globalization;
using System.Text.RegularExpressions;

namespace FleetMfa.EndToEnd.Packaging;

/// <summary>
/// The packaged fleetmfa-agent.service checked by systemd's own tools (Debian's systemd: no running systemd needed):
/// <c>systemd-analyze verify</c> with not a single complaint, and <c>systemd-analyze security --offline</c> for the
/// sandbox. The unit is never started here (no systemd as PID 1), so whether the agent works inside that sandbox is
/// not tested.
/// </summary>
public sealed partial class SystemdUnitTests(PackagedAgent package) : IClassFixture<PackagedAgent>
{
    private const string InstalledBinary = "/usr/bin/fleetmfa-agent";

    private string Unit => Path.Combine(package.Root, "lib/systemd/system/fleetmfa-agent.service");

    [Fact]
    public async Task Systemd_analyze_verify_accepts_the_unit_without_a_single_warning()
    {
        var unit = UnitPointingAtPackagedBinary(File.ReadAllText(Unit));
        var verify = await Command.RunAsync(package.Directory, "systemd-analyze", ["verify", unit]);

        Assert.True(verify.ExitCode == 0 && verify.Output.Trim().Length == 0, $"systemd-analyze verify ({verify.ExitCode}):\n{verify.Output}");

        // The same check catches a misspelt setting: a warning is output, not an exit code.
        var broken = UnitPointingAtPackagedBinary(File.ReadAllText(Unit).Replace("ProtectSystem=strict", "ProtectSystem=strickt", StringComparison.Ordinal));
        var brokenVerify = await Command.RunAsync(package.Directory, "systemd-analyze", ["verify", broken]);
        Assert.Contains("strickt", brokenVerify.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sandbox_rates_at_most_3_of_10_in_systemd_analyze_security()
    {
        var unit = UnitPointingAtPackagedBinary(File.ReadAllText(Unit));
        var security = await Command.RunAsync(package.Directory, "systemd-analyze", ["security", "--offline=yes", "--no-pager", unit]);

        var match = ExposureLine().Match(security.Output);
        Assert.True(match.Success, $"no exposure level in:\n{security.Output}");
        var exposure = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(exposure, 0.0, 3.0);
    }

    [Fact]
    public void The_unit_runs_the_packaged_binary_with_its_state_directory_and_the_hardening_the_agent_allows()
    {
        var settings = File.ReadAllLines(Unit).Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2)).GroupBy(s => s[0]).ToDictionary(g => g.Key, g => g.Last()[1]);

        Assert.True(File.Exists(Path.Combine(package.Root, InstalledBinary.TrimStart('/'))));
        Assert.Equal($"{InstalledBinary} run --data-dir /var/lib/fleetmfa-agent", settings["ExecStart"]);
        Assert.Equal("simple", settings["Type"]);
        Assert.Equal("fleetmfa-agent", settings["StateDirectory"]);
        Assert.Equal("0700", settings["StateDirectoryMode"]);
        Assert.Equal("/var/lib/fleetmfa-agent/config.json", settings["ConditionPathExists"]);
        Assert.Equal("yes", settings["NoNewPrivileges"]);
        Assert.Equal("strict", settings["ProtectSystem"]);
        Assert.Equal("yes", settings["ProtectHome"]);
        Assert.Equal("yes", settings["PrivateTmp"]);
        Assert.Equal("AF_UNIX AF_INET AF_INET6", settings["RestrictAddressFamilies"]);

        // With ProtectSystem=strict, only these are writable: the sshd drop-in and the PAM file it manages.
        Assert.Equal(["/etc/pam.d", "/etc/ssh/sshd_config.d"], settings["ReadWritePaths"].Split(' ').Order());
    }

    /// <summary>A copy whose ExecStart names the unpacked binary: verify checks that the command exists.</summary>
    private string UnitPointingAtPackagedBinary(string text)
    {
        var path = Path.Combine(package.Directory, $"units-{Guid.NewGuid():N}", "fleetmfa-agent.service");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.Replace($"ExecStart={InstalledBinary}", $"ExecStart={Path.Combine(package.Root, InstalledBinary.TrimStart('/'))}", StringComparison.Ordinal));
        return path;
    }

    [GeneratedRegex(@"Overall exposure level for \S+: ([0-9.]+)")]
    private static partial Regex ExposureLine();
}
