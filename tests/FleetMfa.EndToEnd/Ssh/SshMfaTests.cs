using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd.Ssh;

/// <summary>
/// Real SSH logins through a real sshd, PAM, <c>pam_fleetmfa.so</c> and the agent, driven by a real SSH client
/// (SSH.NET), with oathtool as the independent code source: the seed's Linux rules, for both SSH settings.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class SshMfaTests(EndToEndFixture fixture)
{
    [Theory]
    [InlineData(SshVariant.Password)]
    [InlineData(SshVariant.PublicKey)]
    public async Task Ssh_asks_users_who_completed_setup_for_a_code_while_MFA_is_on_and_stops_when_it_is_off(SshVariant variant)
    {
        await using var device = await SshDevice.StartAsync(fixture.Silo, fixture.Workspace, variant, $"ssh-{variant.ToString().ToLowerInvariant()}");
        var (alice, bob) = (device.SetUp, device.NotSetUp);

        // Before MFA: the machine's own sshd configuration, no code asked.
        var before = await device.LoginAsync(device.Credentials(alice, code: null));
        Assert.True(before.LoggedIn && !before.AskedForCode, $"before MFA: {before}");

        await device.EnrollUsersAsync();
        await device.EnableMfaAsync();
        Assert.True(File.Exists(device.DropInPath));

        // A valid oathtool code gets alice in, after her password or her key.
        var valid = await device.LoginAsync(device.Credentials(alice, device.FreshCode()));
        Assert.True(valid.LoggedIn && valid.AskedForCode, $"valid code: {valid}");
        Assert.Equal(variant == SshVariant.Password, valid.AskedForPassword);

        // The same code again (replay) and a wrong code are refused.
        var replay = await device.LoginAsync(device.Credentials(alice, device.LastCode()));
        Assert.True(!replay.LoggedIn && replay.AskedForCode, $"replayed code: {replay}");
        var wrong = await device.LoginAsync(device.Credentials(alice, Oathtool.WrongTotp(device.Secret)));
        Assert.True(!wrong.LoggedIn && wrong.AskedForCode, $"wrong code: {wrong}");

        // Never both: the other method alone does not get in, whatever the code.
        var other = await device.LoginAsync(device.OtherMethod(alice, device.FreshCode()));
        Assert.False(other.LoggedIn, $"the other method: {other}");

        // bob has not completed setup: he logs in as before, never asked for a code.
        var notSetUp = await device.LoginAsync(device.Credentials(bob, code: null));
        Assert.True(notSetUp.LoggedIn && !notSetUp.AskedForCode, $"user without setup: {notSetUp}");

        // MFA off: no prompt, and the machine's own files are back byte for byte.
        await device.DisableMfaAsync();
        Assert.False(File.Exists(device.DropInPath));
        Assert.Equal(device.OriginalPam, await File.ReadAllTextAsync(device.Sshd.PamServiceFile));
        var off = await device.LoginAsync(device.Credentials(alice, code: null));
        Assert.True(off.LoggedIn && !off.AskedForCode, $"MFA off: {off}");
    }

    [Theory]
    [InlineData(SshVariant.Password, BrokerKind.Embedded)]
    [InlineData(SshVariant.PublicKey, BrokerKind.Mosquitto)]
    public async Task Ssh_logins_are_decided_on_the_device_with_the_silo_and_broker_stopped(SshVariant variant, BrokerKind kind)
    {
        var name = $"ssh-offline-{variant.ToString().ToLowerInvariant()}";
        SshDevice device;
        await using (var plane = await ControlPlane.StartAsync(kind, fixture.NewSiloSettings(name), fixture.Workspace))
        {
            device = await SshDevice.StartAsync(plane.Silo, fixture.Workspace, variant, name);
            try
            {
                await device.EnrollUsersAsync();
                await device.EnableMfaAsync();
            }
            catch
            {
                await device.DisposeAsync();
                throw;
            }

            Assert.Equal(0, await plane.Silo.StopAsync());
            if (plane.Mosquitto is { } mosquitto)
            {
                await mosquitto.StopAsync();
            }
        }

        await using (device)
        {
            var (alice, bob) = (device.SetUp, device.NotSetUp);
            Assert.False(device.Agent.Daemon!.HasExited, "the daemon keeps running (and retrying) without its broker");

            var wrong = await device.LoginAsync(device.Credentials(alice, Oathtool.WrongTotp(device.Secret)));
            Assert.True(!wrong.LoggedIn && wrong.AskedForCode, $"offline, wrong code: {wrong}");
            var valid = await device.LoginAsync(device.Credentials(alice, device.FreshCode()));
            Assert.True(valid.LoggedIn && valid.AskedForCode, $"offline, valid code: {valid}");
            var replay = await device.LoginAsync(device.Credentials(alice, device.LastCode()));
            Assert.True(!replay.LoggedIn && replay.AskedForCode, $"offline, replayed code: {replay}");
            var notSetUp = await device.LoginAsync(device.Credentials(bob, code: null));
            Assert.True(notSetUp.LoggedIn && !notSetUp.AskedForCode, $"offline, user without setup: {notSetUp}");
        }
    }
}
