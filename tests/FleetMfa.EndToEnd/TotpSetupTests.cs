using System.Net;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Fleet;

namespace FleetMfa.EndToEnd;

/// <summary>TOTP setup refusals and the reset (lost phone) path.</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class TotpSetupTests(EndToEndFixture fixture) : IAsyncLifetime
{
    // Each test uses users and devices of its own in one shared org.
    private static readonly OncePerSilo<TestOrg> SharedOrg = new(silo => TestOrg.CreateAsync(silo.Api, TestIds.Unique("setup")));

    private string _org = "";

    private ApiClient Admin => fixture.Silo.Admin;

    public async Task InitializeAsync() => _org = (await SharedOrg.GetAsync(fixture.Silo)).OrgId;

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Confirming_without_starting_setup_is_enrollment_not_started()
    {
        await Admin.CreateUserAsync(_org, "eve");

        (await Admin.ConfirmAsync(_org, "eve", "123456")).Problem(HttpStatusCode.Conflict, "enrollment-not-started");
    }

    [Fact]
    public async Task A_wrong_code_is_invalid_code()
    {
        await Admin.CreateUserAsync(_org, "frank");
        var secret = await Admin.StartEnrollmentAsync(_org, "frank");
        var right = Oathtool.Totp(secret);
        var wrong = right == "000000" ? "000001" : "000000";

        (await Admin.ConfirmAsync(_org, "frank", wrong)).Problem(HttpStatusCode.BadRequest, "invalid-code");
        (await Admin.ConfirmAsync(_org, "frank", "1234567")).Problem(HttpStatusCode.BadRequest, "invalid-code");
    }

    [Fact]
    public async Task A_restarted_setup_replaces_the_secret_and_only_the_new_one_confirms()
    {
        await Admin.CreateUserAsync(_org, "gina");
        var first = await Admin.StartEnrollmentAsync(_org, "gina");
        var second = await Admin.StartEnrollmentAsync(_org, "gina");
        Assert.NotEqual(first, second);

        var oldCode = Oathtool.Totp(first);
        if (oldCode != Oathtool.Totp(second))
        {
            (await Admin.ConfirmAsync(_org, "gina", oldCode)).Problem(HttpStatusCode.BadRequest, "invalid-code");
        }

        await Admin.ConfirmNowAsync(_org, "gina", second);
    }

    [Fact]
    public async Task The_enrollment_period_of_the_org_sets_when_setup_expires()
    {
        var org = TestIds.Unique("period");
        await Admin.CreateOrgAsync(org, totpEnabled: false);
        (await Admin.PatchAsync($"/api/orgs/{org}", new { enrollmentPeriodHours = 2 })).Ok();
        await Admin.CreateUserAsync(org, "hana");

        var started = DateTimeOffset.UtcNow;
        var enrollment = (await Admin.PostAsync($"/api/orgs/{org}/users/hana/totp/enroll")).Ok();

        var expiresAt = DateTimeOffset.Parse((string)enrollment["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt - started, TimeSpan.FromHours(2) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(2) + TimeSpan.FromMinutes(1));
        Assert.Equal(2, (int)(await Admin.GetAsync($"/api/orgs/{org}")).Ok()["enrollmentPeriodHours"]!);
    }

    [Fact]
    public async Task A_reset_drops_the_secret_and_the_user_is_no_longer_prompted_on_the_device()
    {
        await Admin.RegisterDeviceAsync(_org, "dev-r");
        await Admin.EnableMfaAsync(_org, "dev-r");
        await Admin.CreateUserAsync(_org, "ivan");
        await Admin.BindAsync(_org, "dev-r", "ivan");
        await Admin.ConfirmNowAsync(_org, "ivan", await Admin.StartEnrollmentAsync(_org, "ivan"));
        Assert.Equal("pending", (string?)Assert.Single(await Admin.WaitForTotpStatusAsync(_org, "dev-r", "ivan", "enrolled"))!["onDevice"]);

        var reset = (await Admin.PostAsync($"/api/orgs/{_org}/users/ivan/totp/reset")).Ok();

        Assert.Equal("not-enrolled", (string?)reset["totpStatus"]);
        var onDevice = Assert.Single(await Admin.WaitForTotpStatusAsync(_org, "dev-r", "ivan", "not-enrolled"))!;
        Assert.Equal("not-enrolled", (string?)onDevice["totpStatus"]);
        Assert.Equal("not-required", (string?)onDevice["onDevice"]);
        (await Admin.ConfirmAsync(_org, "ivan", "123456")).Problem(HttpStatusCode.Conflict, "enrollment-not-started");
    }
}
