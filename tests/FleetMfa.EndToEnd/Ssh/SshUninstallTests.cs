using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd.Ssh;

/// <summary>
/// Removing the agent package never leaves sshd's PAM stack naming a module that is gone: the real maintainer scripts
/// (deploy/debian/prerm, postrm) run against a staged root (<c>DPKG_ROOT</c>) whose agent manages the private sshd.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class SshUninstallTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task Removal_restores_the_PAM_file_byte_for_byte_and_purge_keeps_the_backups_until_it_could()
    {
        await using var device = await SshDevice.StartAsync(fixture.Silo, fixture.Workspace, SshVariant.PublicKey, "ssh-uninstall");
        await device.EnrollUsersAsync();
        var original = await File.ReadAllBytesAsync(device.Sshd.PamServiceFile);
        await device.EnableMfaAsync();
        var enforced = device.Files();

        // dpkg stops the daemon first (systemctl stop); the staged root then holds the agent's data directory.
        Assert.Equal(0, await device.Agent.StopDaemonAsync());
        var root = fixture.Workspace.NewDirectory("dpkg-root");
        var data = Path.Combine(root, "var", "lib", "fleetmfa-agent");
        Directory.CreateDirectory(Path.GetDirectoryName(data)!);
        Directory.Move(device.Agent.DataDirectory, data);
        var environment = new Dictionary<string, string>(device.Sshd.AgentSettings(await PamModule.PathAsync(fixture.Workspace), SshDevice.AgentExecutable))
        {
            ["DPKG_ROOT"] = root,
        };

        // No agent to restore with: prerm refuses to go on, and nothing is touched.
        var refused = await RunScriptAsync(root, "prerm", "remove", environment);
        Assert.True(refused.ExitCode == 1, refused.Output);
        Assert.Contains("could not be restored", refused.Output, StringComparison.Ordinal);
        Assert.Equal(enforced, device.Files());

        // Purged anyway: the store goes, the backups stay (they are the only copy of the originals).
        var purged = await RunScriptAsync(root, "postrm", "purge", environment);
        Assert.True(purged.ExitCode == 0, purged.Output);
        Assert.Equal(["backup"], Directory.EnumerateFileSystemEntries(data).Select(Path.GetFileName));
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(data, "backup")));

        // With the agent there, prerm restores from the backups alone: byte for byte, sshd reloaded.
        Directory.CreateDirectory(Path.Combine(root, "usr", "bin"));
        File.CreateSymbolicLink(Path.Combine(root, "usr", "bin", "fleetmfa-agent"), SshDevice.AgentExecutable);
        var listens = device.Sshd.ListenCount;
        var removed = await RunScriptAsync(root, "prerm", "remove", environment);
        Assert.True(removed.ExitCode == 0, removed.Output);
        Assert.Equal(original, await File.ReadAllBytesAsync(device.Sshd.PamServiceFile));
        Assert.False(File.Exists(device.DropInPath));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(data, "backup")));
        await device.Sshd.WaitUntilListeningAsync(listens + 1);
        var keyAlone = await device.LoginAsync(device.Credentials(device.SetUp, code: null));
        Assert.True(keyAlone.LoggedIn && !keyAlone.AskedForCode, $"after removal, alice's key alone: {keyAlone}");

        Assert.Equal(0, (await RunScriptAsync(root, "postrm", "purge", environment)).ExitCode);
        Assert.False(Directory.Exists(data));
    }

    private static async Task<(int ExitCode, string Output)> RunScriptAsync(string root, string script, string action, IReadOnlyDictionary<string, string> environment)
    {
        var path = Path.Combine(TestPaths.RepoRoot, "deploy", "debian", script);
        await using var run = ChildProcess.Start("sh", [path, action], root, environment, Path.Combine(root, $"{script}-{action}-{Guid.NewGuid():N}.log"));
        var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(1));
        return (exit, run.Output);
    }
}
