using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd.Ssh;

/// <summary>
/// A decommissioned device's agent, managing a real sshd: the signed decommission document makes it put back sshd's
/// configuration and PAM service exactly as <c>fleetmfa-agent restore</c> does (byte for byte, sshd reloaded), delete
/// its store, acknowledge the wipe and stop with exit code 5 — and the key alone logs in again.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class SshDecommissionTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task Decommission_restores_sshd_and_PAM_byte_for_byte_and_wipes_the_store()
    {
        await using var device = await SshDevice.StartAsync(fixture.Silo, fixture.Workspace, SshVariant.PublicKey, "ssh-decom");
        await device.EnrollUsersAsync();
        var originalPam = await File.ReadAllBytesAsync(device.Sshd.PamServiceFile);
        Assert.False(File.Exists(device.DropInPath));
        await device.EnableMfaAsync();
        Assert.True(File.Exists(device.DropInPath), "MFA on writes the sshd drop-in");
        var listens = device.Sshd.ListenCount;

        (await device.Admin.DeleteAsync($"/api/orgs/{device.OrgId}/devices/{device.DeviceId}")).Ok();

        var exit = await device.Agent.Daemon!.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exit == 5, $"the daemon exited with {exit}, not 5 (decommissioned):\n{device.Agent.AllLogs()}");
        Assert.Equal(originalPam, await File.ReadAllBytesAsync(device.Sshd.PamServiceFile));
        Assert.False(File.Exists(device.DropInPath));
        Assert.DoesNotContain(Directory.EnumerateFiles(device.Agent.DataDirectory), f => !f.EndsWith(".lock", StringComparison.Ordinal));
        await device.Sshd.WaitUntilListeningAsync(listens + 1);
        var keyAlone = await device.LoginAsync(device.Credentials(device.SetUp, code: null));
        Assert.True(keyAlone.LoggedIn && !keyAlone.AskedForCode, $"after the decommission, alice's key alone: {keyAlone}");
        await Poll.UntilAsync(
            device.DetailAsync,
            d => d["decommissioned"] is JsonObject r && (bool)r["wipeAcknowledged"]!,
            "the wipe acknowledged");
    }
}
