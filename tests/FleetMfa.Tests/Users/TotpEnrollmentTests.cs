using FleetMfa.Grains;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Users;

/// <summary>Setup is complete only after a valid code from the user's authenticator, within the enrollment period.</summary>
[Collection(ClusterCollection.Name)]
public class TotpEnrollmentTests(ClusterFixture fixture)
{
    private readonly IGrainFactory _grains = fixture.Grains;

    private DateTimeOffset Now => fixture.Time.GetUtcNow();

    /// <summary>The codes the org's ±1 step drift window accepts right now.</summary>
    private HashSet<string> ValidCodes(string base32Secret) =>
        [.. new[] { -30, 0, 30 }.Select(s => Fleet.AuthenticatorCode(base32Secret, Now.AddSeconds(s)))];

    private async Task<(string OrgId, IUserGrain User, TotpEnrollment Enrollment)> StartAsync(string username = "alice")
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.NewUserAsync(orgId, "alice", username);
        var user = _grains.GetUser(orgId, "alice");
        return (orgId, user, await user.StartTotpEnrollmentAsync());
    }

    [Fact]
    public async Task Starting_setup_returns_the_secret_once_and_leaves_the_user_pending()
    {
        var (orgId, user, enrollment) = await StartAsync("Alice Smith");

        Assert.Matches("^[A-Z2-7]{32}$", enrollment.Secret);
        Assert.Equal(
            $"otpauth://totp/FleetMfa:{orgId}:Alice%20Smith?secret={enrollment.Secret}&issuer=FleetMfa&algorithm=SHA1&digits=6&period=30",
            enrollment.OtpauthUri);
        Assert.StartsWith("<svg", enrollment.QrSvg, StringComparison.Ordinal);
        Assert.Equal(Now + TimeSpan.FromDays(7), enrollment.ExpiresAt);
        Assert.DoesNotContain(enrollment.Secret, enrollment.ToString(), StringComparison.Ordinal);

        var info = await user.GetAsync();
        Assert.NotNull(info);
        Assert.Equal(TotpStatus.PendingSetup, info.TotpStatus);
        Assert.Equal(enrollment.ExpiresAt, info.EnrollmentExpiresAt);
        Assert.Null(info.EnrolledAt);
    }

    [Fact]
    public async Task Confirming_with_the_current_code_completes_setup()
    {
        var (_, user, enrollment) = await StartAsync();

        var info = await user.ConfirmTotpAsync(Fleet.AuthenticatorCode(enrollment.Secret, Now));

        Assert.Equal(TotpStatus.Enrolled, info.TotpStatus);
        Assert.Equal(Now, info.EnrolledAt);
        Assert.Null(info.EnrollmentExpiresAt);
        Assert.Equal(TotpStatus.Enrolled, (await user.GetAsync())?.TotpStatus);
    }

    [Fact]
    public async Task A_wrong_code_is_refused_and_setup_stays_pending()
    {
        var (_, user, enrollment) = await StartAsync();
        var valid = ValidCodes(enrollment.Secret);
        var wrong = Enumerable.Range(0, 1_000_000).Select(i => i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture)).First(c => !valid.Contains(c));

        await FleetAssert.RefusedAsync(ErrorCodes.InvalidCode, () => user.ConfirmTotpAsync(wrong));
        await FleetAssert.RefusedAsync(ErrorCodes.InvalidCode, () => user.ConfirmTotpAsync("12345"));
        await FleetAssert.RefusedAsync(ErrorCodes.InvalidCode, () => user.ConfirmTotpAsync("abcdef"));

        Assert.Equal(TotpStatus.PendingSetup, (await user.GetAsync())?.TotpStatus);
        Assert.Equal(TotpStatus.Enrolled, (await user.ConfirmTotpAsync(Fleet.AuthenticatorCode(enrollment.Secret, Now))).TotpStatus);
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(2)]
    public async Task A_code_two_steps_away_is_refused(int steps)
    {
        var (_, user, enrollment) = await StartAsync();
        var code = Fleet.AuthenticatorCode(enrollment.Secret, Now.AddSeconds(30 * steps));

        // About one secret in 300,000 has a code two steps away that equals a valid one: take another secret then.
        while (ValidCodes(enrollment.Secret).Contains(code))
        {
            enrollment = await user.StartTotpEnrollmentAsync();
            code = Fleet.AuthenticatorCode(enrollment.Secret, Now.AddSeconds(30 * steps));
        }

        await FleetAssert.RefusedAsync(ErrorCodes.InvalidCode, () => user.ConfirmTotpAsync(code));
        Assert.Equal(TotpStatus.PendingSetup, (await user.GetAsync())?.TotpStatus);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public async Task A_code_one_step_away_is_accepted(int steps)
    {
        var (_, user, enrollment) = await StartAsync();

        var info = await user.ConfirmTotpAsync(Fleet.AuthenticatorCode(enrollment.Secret, Now.AddSeconds(30 * steps)));

        Assert.Equal(TotpStatus.Enrolled, info.TotpStatus);
    }

    [Fact]
    public async Task Confirming_after_the_enrollment_period_is_refused_as_expired()
    {
        var (_, user, enrollment) = await StartAsync();

        fixture.Time.Advance(TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1));

        await FleetAssert.RefusedAsync(ErrorCodes.EnrollmentExpired, () => user.ConfirmTotpAsync(Fleet.AuthenticatorCode(enrollment.Secret, Now)));
        Assert.Equal(TotpStatus.PendingSetup, (await user.GetAsync())?.TotpStatus);
    }

    [Fact]
    public async Task Confirming_just_before_the_enrollment_period_ends_is_accepted()
    {
        var (_, user, enrollment) = await StartAsync();

        fixture.Time.Advance(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));

        Assert.Equal(TotpStatus.Enrolled, (await user.ConfirmTotpAsync(Fleet.AuthenticatorCode(enrollment.Secret, Now))).TotpStatus);
    }

    [Fact]
    public async Task An_expired_setup_can_be_started_again()
    {
        var (_, user, first) = await StartAsync();
        fixture.Time.Advance(TimeSpan.FromDays(8));

        var second = await user.StartTotpEnrollmentAsync();

        Assert.NotEqual(first.Secret, second.Secret);
        Assert.Equal(TotpStatus.Enrolled, (await user.ConfirmTotpAsync(Fleet.AuthenticatorCode(second.Secret, Now))).TotpStatus);
    }

    [Fact]
    public async Task Restarting_setup_replaces_the_secret()
    {
        var (_, user, first) = await StartAsync();

        var second = await user.StartTotpEnrollmentAsync();

        Assert.NotEqual(first.Secret, second.Secret);
        var oldCode = Fleet.AuthenticatorCode(first.Secret, Now);
        while (ValidCodes(second.Secret).Contains(oldCode))
        {
            second = await user.StartTotpEnrollmentAsync();
        }

        await FleetAssert.RefusedAsync(ErrorCodes.InvalidCode, () => user.ConfirmTotpAsync(oldCode));
        var info = await user.ConfirmTotpAsync(Fleet.AuthenticatorCode(second.Secret, Now));
        Assert.Equal(TotpStatus.Enrolled, info.TotpStatus);
        Assert.True(info.SecretVersion >= 2);
    }

    [Fact]
    public async Task Confirming_without_a_started_setup_is_refused()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.NewUserAsync(orgId, "alice");

        await FleetAssert.RefusedAsync(ErrorCodes.EnrollmentNotStarted, () => _grains.GetUser(orgId, "alice").ConfirmTotpAsync("123456"));
    }

    [Fact]
    public async Task Confirming_a_completed_setup_again_is_refused()
    {
        var (_, user, enrollment) = await StartAsync();
        await user.ConfirmTotpAsync(Fleet.AuthenticatorCode(enrollment.Secret, Now));

        await FleetAssert.RefusedAsync(ErrorCodes.EnrollmentNotStarted, () => user.ConfirmTotpAsync(Fleet.AuthenticatorCode(enrollment.Secret, Now)));
    }

    [Fact]
    public async Task Reset_drops_the_enrollment_and_every_bound_device_sees_it()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        await _grains.RegisterLinuxAsync(orgId, "web-02");
        await _grains.EnrolledUserAsync(orgId, "alice", fixture.Time);
        await _grains.GetDevice(orgId, "web-01").BindUserAsync("alice", "alice");
        await _grains.GetDevice(orgId, "web-02").BindUserAsync("alice", "asmith");
        var before = await Task.WhenAll(_grains.GetDevice(orgId, "web-01").GetAsync(), _grains.GetDevice(orgId, "web-02").GetAsync());

        var info = await _grains.GetUser(orgId, "alice").ResetTotpAsync();

        Assert.Equal(TotpStatus.NotEnrolled, info.TotpStatus);
        Assert.Null(info.EnrolledAt);

        // The reset is pushed to the devices: their desired state moves on before anyone asks them.
        var after = await Task.WhenAll(_grains.GetDevice(orgId, "web-01").GetAsync(), _grains.GetDevice(orgId, "web-02").GetAsync());
        Assert.True(after[0]!.Mfa.DesiredVersion > before[0]!.Mfa.DesiredVersion);
        Assert.True(after[1]!.Mfa.DesiredVersion > before[1]!.Mfa.DesiredVersion);
        foreach (var deviceId in new[] { "web-01", "web-02" })
        {
            var status = Assert.Single(await _grains.GetDevice(orgId, deviceId).GetUsersAsync());
            Assert.Equal(TotpStatus.NotEnrolled, status.TotpStatus);
            Assert.Equal(OnDeviceStatus.NotRequired, status.OnDevice);
        }

        await FleetAssert.RefusedAsync(ErrorCodes.EnrollmentNotStarted, () => _grains.GetUser(orgId, "alice").ConfirmTotpAsync("123456"));
    }

    [Fact]
    public async Task Users_of_an_org_that_does_not_exist_are_refused() =>
        await FleetAssert.RefusedAsync(ErrorCodes.NotFound, () => _grains.NewUserAsync(Fleet.NewId("org"), "alice"));

    [Fact]
    public async Task An_unknown_user_cannot_enroll()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);

        await FleetAssert.RefusedAsync(ErrorCodes.NotFound, () => _grains.GetUser(orgId, "ghost").StartTotpEnrollmentAsync());
        await FleetAssert.RefusedAsync(ErrorCodes.NotFound, () => _grains.GetUser(orgId, "ghost").ConfirmTotpAsync("123456"));
        await FleetAssert.RefusedAsync(ErrorCodes.NotFound, () => _grains.GetUser(orgId, "ghost").ResetTotpAsync());
        Assert.Null(await _grains.GetUser(orgId, "ghost").GetAsync());
    }
}
