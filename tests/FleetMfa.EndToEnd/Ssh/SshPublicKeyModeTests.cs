using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd.Ssh;

/// <summary>
/// Public-key mode never falls back to fewer factors: the PAM module takes the place of the password stack, so it
/// succeeds only once sshd has completed a public-key method for the connection (<c>SSH_AUTH_INFO_0</c>), for every
/// user — set up, not set up, or bound to nobody — and asks the code of users who completed setup, whatever spelling
/// of their account name NSS accepts. Driven by both SSH.NET and the real OpenSSH client.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class SshPublicKeyModeTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task Without_the_key_nobody_gets_in_and_with_it_only_users_who_completed_setup_are_asked_for_a_code()
    {
        await using var device = await SshDevice.StartAsync(fixture.Silo, fixture.Workspace, SshVariant.PublicKey, "ssh-keymode");
        await device.EnrollUsersAsync();
        var (alice, bob) = (device.SetUp, device.NotSetUp);
        var carol = await device.AddUnboundUserAsync();
        var (dave, daveSecret) = await device.AddSetUpUserAsync("dave");
        var daveAlias = await dave.AddAliasAsync();
        await device.EnableMfaAsync();
        await device.Admin.WaitForOnDeviceAsync(device.OrgId, device.DeviceId, "dave", "active");

        // Key and code: alice, through both clients.
        var keyAndCode = await device.LoginAsync(device.Credentials(alice, device.FreshCode()));
        Assert.True(keyAndCode.LoggedIn && keyAndCode.AskedForCode && !keyAndCode.AskedForPassword, $"alice, key and code: {keyAndCode}");
        var openSsh = await OpenSshLogin.TryAsync(device.Sshd, device.Credentials(alice, device.FreshCode()));
        Assert.True(openSsh.LoggedIn && openSsh.AskedForCode, $"alice, key and code (OpenSSH): {openSsh}");
        var keyOnly = await OpenSshLogin.TryAsync(device.Sshd, device.Credentials(alice, code: null));
        Assert.True(!keyOnly.LoggedIn && keyOnly.AskedForCode, $"alice, key without a code (OpenSSH): {keyOnly}");

        // The key alone for users without setup: bound (bob) or not (carol); never asked for a code.
        foreach (var user in new[] { bob, carol })
        {
            var login = await device.LoginAsync(device.Credentials(user, code: null));
            Assert.True(login.LoggedIn && !login.AskedForCode, $"{user.Name}, key alone: {login}");
        }

        // The password alone gets nobody in, through either client.
        foreach (var user in new[] { alice, bob, carol })
        {
            var password = await device.LoginAsync(device.OtherMethod(user, Oathtool.WrongTotp(device.Secret)));
            Assert.False(password.LoggedIn, $"{user.Name}, password alone: {password}");
            var passwordOpenSsh = await OpenSshLogin.TryAsync(device.Sshd, device.OtherMethod(user, Oathtool.WrongTotp(device.Secret)));
            Assert.False(passwordOpenSsh.LoggedIn, $"{user.Name}, password alone (OpenSSH): {passwordOpenSsh}");
        }

        // Another name of dave's account (same uid, as NSS gives "DAVE" or "dave@corp" with SSSD): still dave.
        var alias = new SshCredentials(daveAlias, null, dave.PrivateKeyPath, null, Account: dave.Name);
        var aliasNoCode = await device.LoginAsync(alias);
        Assert.True(!aliasNoCode.LoggedIn && aliasNoCode.AskedForCode, $"dave's other name, no code: {aliasNoCode}");
        var aliasWithCode = await device.LoginAsync(alias with { Code = Oathtool.Totp(daveSecret) });
        Assert.True(aliasWithCode.LoggedIn && aliasWithCode.AskedForCode, $"dave's other name, with his code: {aliasWithCode}");

        // Now sshd stops reading the drop-in (its Include gone, keyboard-interactive and passwords on) while the agent is
        // down: sshd hands password and keyboard-interactive logins to PAM without any key. The module refuses them all.
        Assert.Equal(0, await device.Agent.StopDaemonAsync());
        await device.Sshd.EditConfigAsync(config => config
            .Replace($"Include {device.Sshd.ConfigDirectory}/*.conf\n", "", StringComparison.Ordinal)
            .Replace("KbdInteractiveAuthentication no", "KbdInteractiveAuthentication yes\nPasswordAuthentication yes", StringComparison.Ordinal));
        foreach (var user in new[] { alice, bob, carol, dave })
        {
            var password = await device.LoginAsync(device.OtherMethod(user, Oathtool.WrongTotp(device.Secret)));
            Assert.True(!password.LoggedIn, $"{user.Name}, password without the drop-in in effect: {password}");
            var passwordOpenSsh = await OpenSshLogin.TryAsync(device.Sshd, device.OtherMethod(user, Oathtool.WrongTotp(device.Secret)));
            Assert.True(!passwordOpenSsh.LoggedIn, $"{user.Name}, password without the drop-in in effect (OpenSSH): {passwordOpenSsh}");
        }

        // sshd itself now lets a key alone in (no PAM step at all): the agent's check sees it and the device says so.
        device.Agent.StartDaemon();
        var mfa = await device.WaitForStatusAsync("failed");
        Assert.StartsWith("policy-drift-unrepairable: ", (string?)mfa["reason"], StringComparison.Ordinal);
        var events = await Poll.UntilAsync(
            () => device.Admin.ReadDeviceEventsAsync(device.OrgId),
            e => e.Any(i => (string?)i["action"] == "policy-drift-unrepairable"),
            "the unrepairable drift in the audit trail");
        var record = events.First(i => (string?)i["action"] == "policy-drift-unrepairable");
        Assert.Equal(("unrepairable", $"device:{device.DeviceId}"), ((string?)record["outcome"], (string?)record["target"]));
        Assert.Contains("authenticationmethods", (string?)record["detail"], StringComparison.Ordinal);
    }
}
