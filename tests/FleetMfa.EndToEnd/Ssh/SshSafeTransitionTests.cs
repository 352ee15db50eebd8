using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd.Ssh;

/// <summary>
/// Turning SSH MFA on or off against a real sshd that does not cooperate: a configuration that does not put the policy
/// in effect, one sshd refuses, a file that cannot be written on the way in or out. The device never says
/// <c>enabled</c> for a policy that is not in force, and no failure leaves a state that needs fewer factors than the
/// policy before or the one after.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class SshSafeTransitionTests(EndToEndFixture fixture)
{
    /// <param name="setup">What is wrong with sshd's configuration.</param>
    /// <param name="reloads">How often the agent reloads sshd on the way: with the drop-in, and again without it once
    /// <c>sshd -T</c> shows the policy is not in effect; not at all when <c>sshd -t</c> refuses the drop-in.</param>
    [Theory]
    [InlineData("no-include", 2)]
    [InlineData("match-user-override", 2)]
    [InlineData("include-inside-match", 0)]
    public async Task A_policy_sshd_does_not_put_in_effect_fails_the_version_and_logins_keep_the_old_policy(string setup, int reloads)
    {
        await using var device = await SshDevice.StartAsync(fixture.Silo, fixture.Workspace, SshVariant.PublicKey, $"ssh-{setup}");
        await device.EnrollUsersAsync();
        var alice = device.SetUp;
        var include = $"Include {device.Sshd.ConfigDirectory}/*.conf\n";
        await device.Sshd.EditConfigAsync(config => setup switch
        {
            "no-include" => config.Replace(include, "", StringComparison.Ordinal),
            "match-user-override" => config + $"Match User {alice.Name}\n    AuthenticationMethods publickey\n",
            _ => config.Replace(include, "", StringComparison.Ordinal) + $"Match Address 127.0.0.1\n    {include}",
        });
        var before = device.Files();
        var listens = device.Sshd.ListenCount;

        await device.RequestMfaAsync(on: true);

        await device.WaitForStatusAsync("failed", "ssh-policy-not-effective: ");
        Assert.Equal(before, device.Files());
        await device.Sshd.WaitUntilListeningAsync(listens + reloads);

        // The old policy: a password alone for an account no Match block names, alice's key alone (her Match allows it).
        var password = await device.LoginAsync(device.OtherMethod(device.NotSetUp, code: null));
        Assert.True(password.LoggedIn && !password.AskedForCode, $"the old policy: bob's password alone: {password}");
        var key = await device.LoginAsync(device.Credentials(alice, code: null));
        Assert.True(key.LoggedIn && !key.AskedForCode, $"the old policy: alice's key alone: {key}");
    }

    [Fact]
    public async Task A_write_that_fails_on_the_way_in_or_out_leaves_the_stricter_end_in_force()
    {
        await using var device = await SshDevice.StartAsync(fixture.Silo, fixture.Workspace, SshVariant.PublicKey, "ssh-write-faults");
        await device.EnrollUsersAsync();
        var alice = device.SetUp;
        var off = device.Files();

        // On, with the drop-in unwritable: the PAM file (written first) is rolled back, and MFA is not claimed.
        var blocker = device.FailDaemonWritesOf(device.DropInPath);
        await device.RequestMfaAsync(on: true);
        var failed = await device.WaitForStatusAsync("failed");
        Assert.Contains("rolled back", (string?)failed["reason"], StringComparison.Ordinal);
        Assert.Equal(off, device.Files());
        var password = await device.LoginAsync(device.OtherMethod(alice, code: null));
        Assert.True(password.LoggedIn && !password.AskedForCode, $"MFA never came on: alice's password alone: {password}");
        Directory.Delete(blocker);

        await device.RequestMfaAsync(on: false);
        await device.WaitForStatusAsync("disabled");
        await device.EnableMfaAsync();
        var on = device.Files();

        // Off, with the PAM file unwritable: the drop-in comes back and MFA stays on, code and all. sshd is reloaded
        // twice on the way: without the drop-in, and with it again.
        blocker = device.FailDaemonWritesOf(device.Sshd.PamServiceFile);
        var listens = device.Sshd.ListenCount;
        await device.RequestMfaAsync(on: false);
        failed = await device.WaitForStatusAsync("failed");
        Assert.Contains("MFA stays on", (string?)failed["reason"], StringComparison.Ordinal);
        Assert.Equal(on, device.Files());
        await device.Sshd.WaitUntilListeningAsync(listens + 2);
        var keyAlone = await device.LoginAsync(device.Credentials(alice, code: null));
        Assert.True(!keyAlone.LoggedIn && keyAlone.AskedForCode, $"MFA still on: alice's key without a code: {keyAlone}");
        var keyAndCode = await device.LoginAsync(device.Credentials(alice, device.FreshCode()));
        Assert.True(keyAndCode.LoggedIn, $"MFA still on: alice's key and code: {keyAndCode}");
        password = await device.LoginAsync(device.OtherMethod(alice, device.FreshCode()));
        Assert.False(password.LoggedIn, $"MFA still on: alice's password: {password}");
        Directory.Delete(blocker);
    }
}
