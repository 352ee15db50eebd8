using System.Globalization;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd.Packaging;

/// <summary>
/// The agent package built for real by deploy/package-agent.sh: its layout and modes, the control file, the .deb
/// (dpkg-deb), install.sh into a staging root, and the packaged binary run as the agent.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed partial class AgentPackageTests(PackagedAgent package) : IClassFixture<PackagedAgent>
{
    private static readonly Dictionary<string, string> ExpectedFiles = new(StringComparer.Ordinal)
    {
        ["DEBIAN/control"] = "-rw-r--r--",
        ["DEBIAN/postinst"] = "-rwxr-xr-x",
        ["DEBIAN/prerm"] = "-rwxr-xr-x",
        ["DEBIAN/postrm"] = "-rwxr-xr-x",
        ["install.sh"] = "-rwxr-xr-x",
        ["usr/bin/fleetmfa-agent"] = "-rwxr-xr-x",
        ["lib/systemd/system/fleetmfa-agent.service"] = "-rw-r--r--",
        ["usr/share/doc/fleetmfa-agent/README"] = "-rw-r--r--",
    };

    private const string PamModule = "usr/lib/x86_64-linux-gnu/security/pam_fleetmfa.so";

    [Fact]
    public void The_tarball_holds_the_agent_its_unit_and_maintainer_scripts_owned_by_root_with_their_modes()
    {
        var files = Entries().Where(e => !e.Mode.StartsWith('d')).ToDictionary(e => e.Path, e => e.Mode);
        var expected = new Dictionary<string, string>(ExpectedFiles);
        if (File.Exists(Path.Combine(TestPaths.RepoRoot, "deploy", "pam", "build.sh")))
        {
            expected[PamModule] = "-rw-r--r--";
        }

        Assert.Equal(expected.OrderBy(e => e.Key), files.OrderBy(e => e.Key));
        Assert.All(Entries(), e => Assert.Equal("0/0", e.Owner));
        Assert.All(Entries().Where(e => e.Mode.StartsWith('d')), e => Assert.Equal("drwxr-xr-x", e.Mode));
        Assert.Equal(new FileInfo(PackagedAgent.AgentBinary()).Length, new FileInfo(Path.Combine(package.Root, "usr/bin/fleetmfa-agent")).Length);
    }

    [Fact]
    public void The_pam_module_is_packaged_exactly_when_deploy_pam_build_sh_exists()
    {
        var hasBuild = File.Exists(Path.Combine(TestPaths.RepoRoot, "deploy", "pam", "build.sh"));

        Assert.Equal(hasBuild, File.Exists(Path.Combine(package.Root, PamModule)));
        Assert.Contains(hasBuild ? "building the PAM module" : "packaging without the PAM module", package.PackagingOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_packaged_binary_is_the_agent()
    {
        var run = await Command.RunAsync(package.Directory, Path.Combine(package.Root, "usr/bin/fleetmfa-agent"), ["status", "--data-dir", Path.Combine(package.Directory, "not-enrolled")]);

        Assert.Equal(2, run.ExitCode);
        var usage = await Command.RunAsync(package.Directory, Path.Combine(package.Root, "usr/bin/fleetmfa-agent"), ["no-such-command"]);
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("usage: fleetmfa-agent enroll", usage.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_control_file_carries_the_agent_version_and_its_installed_size()
    {
        var control = File.ReadAllLines(Path.Combine(package.Root, "DEBIAN", "control"))
            .Where(l => !l.StartsWith(' ')).Select(l => l.Split(": ", 2)).ToDictionary(f => f[0], f => f[1]);
        var csproj = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "agent", "FleetMfa.Agent", "FleetMfa.Agent.csproj"));
        var version = VersionElement().Match(csproj).Groups[1].Value;

        Assert.Equal("fleetmfa-agent", control["Package"]);
        Assert.Equal(version, control["Version"]);
        Assert.Equal("amd64", control["Architecture"]);
        Assert.EndsWith($"fleetmfa-agent_{version}_amd64.tar.gz", package.Tarball, StringComparison.Ordinal);
        var installedKiB = long.Parse(control["Installed-Size"], CultureInfo.InvariantCulture);
        Assert.InRange(installedKiB, new FileInfo(PackagedAgent.AgentBinary()).Length / 1024, 64 * 1024);
        Assert.DoesNotContain("@", control["Version"] + control["Installed-Size"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_deb_holds_the_same_files_as_the_tarball_and_dpkg_reads_its_control()
    {
        Assert.False(string.IsNullOrEmpty(package.Deb), "dpkg-deb is part of Debian: the .deb should have been built");

        var fields = await Command.RunAsync(package.Directory, "dpkg-deb", ["-f", package.Deb, "Package", "Architecture", "Depends"]);
        Assert.Equal(0, fields.ExitCode);
        Assert.Contains("Package: fleetmfa-agent", fields.Output, StringComparison.Ordinal);
        Assert.Contains("libssl3", fields.Output, StringComparison.Ordinal);

        var contents = await Command.RunAsync(package.Directory, "dpkg-deb", ["-c", package.Deb]);
        Assert.Equal(0, contents.ExitCode);
        var debFiles = contents.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith('-')).Select(l => l[(l.IndexOf("./", StringComparison.Ordinal) + 2)..].Trim()).Order();
        var tarFiles = Entries().Where(e => !e.Mode.StartsWith('d') && !e.Path.StartsWith("DEBIAN/", StringComparison.Ordinal) && e.Path != "install.sh").Select(e => e.Path).Order();
        Assert.Equal(tarFiles, debFiles);
        Assert.Contains("root/root", contents.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Install_sh_stages_the_files_and_a_private_data_directory_into_DESTDIR()
    {
        var destination = Path.Combine(package.Directory, $"root-{Guid.NewGuid():N}");
        var install = await Command.RunAsync(package.Directory, "sh", [Path.Combine(package.Root, "install.sh")], new Dictionary<string, string> { ["DESTDIR"] = destination });

        Assert.True(install.ExitCode == 0, install.Output);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(destination, "var/lib/fleetmfa-agent")));
        Assert.True(File.GetUnixFileMode(Path.Combine(destination, "usr/bin/fleetmfa-agent")).HasFlag(UnixFileMode.OtherExecute));
        Assert.True(File.Exists(Path.Combine(destination, "lib/systemd/system/fleetmfa-agent.service")));
        foreach (var script in new[] { "postinst", "prerm", "postrm" })
        {
            var syntax = await Command.RunAsync(package.Directory, "sh", ["-n", Path.Combine(package.Root, "DEBIAN", script)]);
            Assert.True(syntax.ExitCode == 0, $"{script}: {syntax.Output}");
        }
    }

    private IEnumerable<(string Mode, string Owner, string Path)> Entries()
    {
        foreach (var line in package.Listing)
        {
            // -rwxr-xr-x 0/0   7811016 1970-01-01 00:00 fleetmfa-agent_0.1.0_amd64/usr/bin/fleetmfa-agent
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var path = parts[^1];
            var inPackage = path[(path.IndexOf('/', StringComparison.Ordinal) + 1)..].TrimEnd('/');
            if (inPackage.Length > 0)
            {
                yield return (parts[0], parts[1], inPackage);
            }
        }
    }

    [GeneratedRegex("<Version>([^<]+)</Version>")]
    private static partial Regex VersionElement();
}
