using FleetMfa.Grains;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Devices;

/// <summary>Users bound to a device, and the TOTP status of each user on it.</summary>
[Collection(ClusterCollection.Name)]
public class DeviceUserTests(ClusterFixture fixture)
{
    private readonly IGrainFactory _grains = fixture.Grains;

    [Fact]
    public async Task Binding_an_unknown_user_is_not_found_and_changes_nothing()
    {
        var orgId = await _grains.NewOrgAsync();
        var before = await _grains.RegisterLinuxAsync(orgId, "web-01");

        await FleetAssert.RefusedAsync(ErrorCodes.NotFound, () => _grains.GetDevice(orgId, "web-01").BindUserAsync("ghost", "ghost"));

        Assert.Empty(await _grains.GetDevice(orgId, "web-01").GetUsersAsync());
        Assert.Equal(before.Mfa.DesiredVersion, (await _grains.GetDevice(orgId, "web-01").GetAsync())?.Mfa.DesiredVersion);
    }

    [Fact]
    public async Task Unbinding_a_user_that_is_not_bound_is_not_found()
    {
        var orgId = await _grains.NewOrgAsync();
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        await _grains.NewUserAsync(orgId, "alice");

        await FleetAssert.RefusedAsync(ErrorCodes.NotFound, () => _grains.GetDevice(orgId, "web-01").UnbindUserAsync("alice"));
        await FleetAssert.RefusedAsync(ErrorCodes.NotFound, () => _grains.GetDevice(orgId, "web-01").UnbindUserAsync("ghost"));
    }

    [Fact]
    public async Task Binding_and_unbinding_move_the_desired_version_on_and_update_both_sides()
    {
        var orgId = await _grains.NewOrgAsync();
        var registered = await _grains.RegisterLinuxAsync(orgId, "web-01");
        await _grains.NewUserAsync(orgId, "alice", "Alice Smith");

        var bound = await _grains.GetDevice(orgId, "web-01").BindUserAsync("alice", "asmith");
        var afterBind = await _grains.GetDevice(orgId, "web-01").GetAsync();

        Assert.Equal(new DeviceUserStatus("alice", "Alice Smith", "asmith", TotpStatus.NotEnrolled, OnDeviceStatus.NotRequired), bound);
        Assert.True(afterBind!.Mfa.DesiredVersion > registered.Mfa.DesiredVersion);
        Assert.Equal(["web-01"], (await _grains.GetUser(orgId, "alice").GetAsync())?.Devices);

        await _grains.GetDevice(orgId, "web-01").UnbindUserAsync("alice");

        Assert.True((await _grains.GetDevice(orgId, "web-01").GetAsync())!.Mfa.DesiredVersion > afterBind.Mfa.DesiredVersion);
        Assert.Empty(await _grains.GetDevice(orgId, "web-01").GetUsersAsync());
        Assert.Empty((await _grains.GetUser(orgId, "alice").GetAsync())!.Devices);
    }

    [Fact]
    public async Task An_enrolled_user_is_not_prompted_while_mfa_is_off_on_the_device()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        await _grains.EnrolledUserAsync(orgId, "alice", fixture.Time);

        var bound = await _grains.GetDevice(orgId, "web-01").BindUserAsync("alice", "alice");

        Assert.Equal(TotpStatus.Enrolled, bound.TotpStatus);
        Assert.Equal(OnDeviceStatus.NotRequired, bound.OnDevice);
    }

    [Fact]
    public async Task An_enrolled_user_is_not_prompted_while_the_org_switch_is_off()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: false);
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        await _grains.GetDevice(orgId, "web-01").EnableMfaAsync(force: false);
        await _grains.EnrolledUserAsync(orgId, "alice", fixture.Time);

        var bound = await _grains.GetDevice(orgId, "web-01").BindUserAsync("alice", "alice");

        Assert.Equal(OnDeviceStatus.NotRequired, bound.OnDevice);
    }

    [Fact]
    public async Task A_user_who_has_not_completed_setup_is_not_prompted()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        await _grains.GetDevice(orgId, "web-01").EnableMfaAsync(force: false);
        await _grains.NewUserAsync(orgId, "alice");
        await _grains.NewUserAsync(orgId, "bob");
        await _grains.GetUser(orgId, "bob").StartTotpEnrollmentAsync();

        await _grains.GetDevice(orgId, "web-01").BindUserAsync("alice", "alice");
        await _grains.GetDevice(orgId, "web-01").BindUserAsync("bob", "bob");
        var users = await _grains.GetDevice(orgId, "web-01").GetUsersAsync();

        Assert.Equal(["alice", "bob"], users.Select(u => u.UserId));
        Assert.Equal([TotpStatus.NotEnrolled, TotpStatus.PendingSetup], users.Select(u => u.TotpStatus));
        Assert.All(users, u => Assert.Equal(OnDeviceStatus.NotRequired, u.OnDevice));
    }

    [Fact]
    public async Task An_enrolled_user_on_a_device_that_requires_totp_is_pending_until_the_agent_confirms()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        await _grains.GetDevice(orgId, "web-01").EnableMfaAsync(force: false);
        await _grains.EnrolledUserAsync(orgId, "alice", fixture.Time);

        var bound = await _grains.GetDevice(orgId, "web-01").BindUserAsync("alice", "alice");

        Assert.Equal(OnDeviceStatus.Pending, bound.OnDevice);
        Assert.Equal(OnDeviceStatus.Pending, Assert.Single(await _grains.GetDevice(orgId, "web-01").GetUsersAsync()).OnDevice);
    }

    [Fact]
    public async Task Completing_setup_after_binding_reaches_the_device()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        await _grains.GetDevice(orgId, "web-01").EnableMfaAsync(force: false);
        await _grains.NewUserAsync(orgId, "alice");
        await _grains.GetDevice(orgId, "web-01").BindUserAsync("alice", "alice");
        var enrollment = await _grains.GetUser(orgId, "alice").StartTotpEnrollmentAsync();
        var before = await _grains.GetDevice(orgId, "web-01").GetAsync();

        await _grains.GetUser(orgId, "alice").ConfirmTotpAsync(Fleet.AuthenticatorCode(enrollment.Secret, fixture.Time.GetUtcNow()));

        // The user's update is a one-way message from its outbox: it reaches the device right after the call.
        await Poll.UntilAsync(() => _grains.GetDevice(orgId, "web-01").GetAsync(), d => d!.Mfa.DesiredVersion > before!.Mfa.DesiredVersion, "alice's setup reached the device");
        var status = Assert.Single(await _grains.GetDevice(orgId, "web-01").GetUsersAsync());
        Assert.Equal(TotpStatus.Enrolled, status.TotpStatus);
        Assert.Equal(OnDeviceStatus.Pending, status.OnDevice);
    }

    [Fact]
    public async Task Turning_device_mfa_off_stops_prompting_bound_users()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        await _grains.GetDevice(orgId, "web-01").EnableMfaAsync(force: false);
        await _grains.EnrolledUserAsync(orgId, "alice", fixture.Time);
        await _grains.GetDevice(orgId, "web-01").BindUserAsync("alice", "alice");

        await _grains.GetDevice(orgId, "web-01").DisableMfaAsync();

        Assert.Equal(OnDeviceStatus.NotRequired, Assert.Single(await _grains.GetDevice(orgId, "web-01").GetUsersAsync()).OnDevice);
    }

    [Fact]
    public async Task A_local_account_bound_to_one_user_cannot_be_bound_to_another()
    {
        var orgId = await _grains.NewOrgAsync();
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        await _grains.NewUserAsync(orgId, "alice");
        await _grains.NewUserAsync(orgId, "bob");
        await _grains.GetDevice(orgId, "web-01").BindUserAsync("alice", "admin");

        await FleetAssert.RefusedAsync(ErrorCodes.Conflict, () => _grains.GetDevice(orgId, "web-01").BindUserAsync("bob", "admin"));

        Assert.Equal(["alice"], (await _grains.GetDevice(orgId, "web-01").GetUsersAsync()).Select(u => u.UserId));
        Assert.Empty((await _grains.GetUser(orgId, "bob").GetAsync())!.Devices);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-root")]
    [InlineData("root user")]
    [InlineData("root\n")]
    public async Task A_malformed_local_username_is_refused(string localUsername)
    {
        var orgId = await _grains.NewOrgAsync();
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        await _grains.NewUserAsync(orgId, "alice");

        await FleetAssert.RefusedAsync(ErrorCodes.Validation, () => _grains.GetDevice(orgId, "web-01").BindUserAsync("alice", localUsername));
        Assert.Empty(await _grains.GetDevice(orgId, "web-01").GetUsersAsync());
    }
}
