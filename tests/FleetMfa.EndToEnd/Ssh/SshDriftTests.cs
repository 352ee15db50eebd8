using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd.Ssh;

/// <summary>
/// While MFA is on, the agent keeps it in force: files a package upgrade or an admin rewrites or deletes are put back
/// (and the control plane hears of it), and a store that disappears makes every login that needs it fail.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class SshDriftTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task A_rewritten_PAM_file_and_a_deleted_drop_in_are_repaired_within_the_check_interval_and_audited()
    {
        await using var device = await SshDevice.StartAsync(fixture.Silo, fixture.Workspace, SshVariant.Password, "ssh-drift");
        await device.EnrollUsersAsync();
        await device.EnableMfaAsync();
        var enforced = device.Files();

        // What a package upgrade does to /etc/pam.d/sshd, and an admin's cleanup of sshd_config.d.
        await File.WriteAllTextAsync(device.Sshd.PamServiceFile, device.OriginalPam);
        File.Delete(device.DropInPath);

        var mfa = await Poll.UntilAsync(
            async () => (await device.DetailAsync())["mfa"]!,
            m => ((string?)m["reason"])?.StartsWith("policy-drift-repaired: ", StringComparison.Ordinal) == true,
            "the drift repaired and reported",
            PrivateSshd.PolicyCheckInterval);
        Assert.Equal("enabled", (string?)mfa["status"]);
        Assert.Equal(enforced, device.Files());
        var events = await Poll.UntilAsync(
            () => device.Admin.ReadDeviceEventsAsync(device.OrgId),
            e => e.Any(i => (string?)i["action"] == "policy-drift-repaired"),
            "the repair in the audit trail");
        Assert.Equal("repaired", (string?)events.First(i => (string?)i["action"] == "policy-drift-repaired")["outcome"]);

        var alice = device.SetUp;
        var passwordAlone = await device.LoginAsync(device.Credentials(alice, code: null));
        Assert.True(!passwordAlone.LoggedIn && passwordAlone.AskedForCode, $"after the repair, alice's password without a code: {passwordAlone}");
        var withCode = await device.LoginAsync(device.Credentials(alice, device.FreshCode()));
        Assert.True(withCode.LoggedIn && withCode.AskedForCode, $"after the repair, alice's password and code: {withCode}");
    }

    [Theory]
    [InlineData(SshVariant.Password)]
    [InlineData(SshVariant.PublicKey)]
    public async Task A_deleted_store_refuses_every_login_that_reaches_the_module(SshVariant variant)
    {
        await using var device = await SshDevice.StartAsync(fixture.Silo, fixture.Workspace, variant, $"ssh-no-store-{variant.ToString().ToLowerInvariant()}");
        await device.EnrollUsersAsync();
        await device.EnableMfaAsync();

        File.Delete(Path.Combine(device.Agent.DataDirectory, "state.bin"));

        var alice = await device.LoginAsync(device.Credentials(device.SetUp, device.FreshCode()));
        Assert.False(alice.LoggedIn, $"alice with a valid code and no store: {alice}");
        var bob = await device.LoginAsync(device.Credentials(device.NotSetUp, code: null));
        Assert.False(bob.LoggedIn, $"bob (no setup) and no store: {bob}");
    }
}
