using System.Net;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>The seed walk-through over HTTP: org TOTP on, device MFA on, a user completes setup with an oathtool code.</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class EnrollmentWalkthroughTests(EndToEndFixture fixture)
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(30);

    private ApiClient Admin => fixture.Silo.Admin;

    [Fact]
    public async Task A_user_who_completes_setup_with_an_oathtool_code_is_prompted_on_a_device_with_MFA_on()
    {
        var org = TestIds.Unique("seed");
        var created = (await Admin.PutAsync($"/api/orgs/{org}", new { name = "Seed Org" })).Ok();
        Assert.Equal(org, (string?)created["orgId"]);
        Assert.False((bool)created["totp"]!["enabled"]!);

        var totp = (await Admin.PutAsync($"/api/orgs/{org}/mfa/totp", new { enabled = true })).Ok();
        Assert.True((bool)totp["totp"]!["enabled"]!);
        Assert.Equal(6, (int)totp["totp"]!["digits"]!);
        Assert.Equal(30, (int)totp["totp"]!["periodSeconds"]!);

        var device = (await Admin.PutAsync($"/api/orgs/{org}/devices/web-01", new { hostname = "web-01", os = "linux", osVersion = "Debian 12" })).Ok();
        Assert.Equal("linux", (string?)device["os"]);
        Assert.Equal("disabled", (string?)device["mfa"]!["status"]);

        var enabled = (await Admin.PostAsync($"/api/orgs/{org}/devices/web-01/mfa/enable")).Ok();
        Assert.True((bool)enabled["mfa"]!["desired"]!);
        var detail = (await Admin.GetAsync($"/api/orgs/{org}/devices/web-01")).Ok();
        Assert.Equal("pending", (string?)detail["mfa"]!["status"]);
        Assert.True((bool)detail["mfa"]!["required"]!);

        var user = (await Admin.PutAsync($"/api/orgs/{org}/users/alice", new { username = "alice", email = "alice@example.com" })).Ok();
        Assert.Equal("not-enrolled", (string?)user["totpStatus"]);

        var enroll = await Admin.PostAsync($"/api/orgs/{org}/users/alice/totp/enroll");
        var enrollment = enroll.Ok();
        Assert.Contains("no-store", enroll.CacheControl ?? "", StringComparison.Ordinal);
        var secret = (string)enrollment["secret"]!;
        Assert.Matches("^[A-Z2-7]{32}$", secret);
        var uri = (string)enrollment["otpauthUri"]!;
        Assert.StartsWith("otpauth://totp/", uri, StringComparison.Ordinal);
        Assert.Contains($"secret={secret}", uri, StringComparison.Ordinal);
        Assert.StartsWith("<svg", (string)enrollment["qrSvg"]!, StringComparison.Ordinal);
        Assert.Equal("pending-setup", (string?)(await Admin.GetAsync($"/api/orgs/{org}/users/alice")).Ok()["totpStatus"]);

        var binding = (await Admin.PutAsync($"/api/orgs/{org}/devices/web-01/users/alice", new { localUsername = "alice" })).Ok();
        Assert.Equal("pending-setup", (string?)binding["totpStatus"]);
        Assert.Equal("not-required", (string?)binding["onDevice"]);

        var confirmed = (await Admin.ConfirmAsync(org, "alice", Oathtool.Totp(secret))).Ok();
        Assert.Equal("enrolled", (string?)confirmed["totpStatus"]);
        Assert.Equal(["web-01"], confirmed["devices"]!.AsArray().Select(d => (string?)d));

        var onDevice = Assert.Single(await Admin.WaitForTotpStatusAsync(org, "web-01", "alice", "enrolled"))!;
        Assert.Equal("alice", (string?)onDevice["userId"]);
        Assert.Equal("alice", (string?)onDevice["localUsername"]);
        Assert.Equal("enrolled", (string?)onDevice["totpStatus"]);
        Assert.Equal("pending", (string?)onDevice["onDevice"]);

        var counts = (await Admin.GetAsync($"/api/orgs/{org}")).Ok()["devices"]!;
        Assert.Equal(1, (int)counts["total"]!);
        Assert.Equal(1, (int)counts["pending"]!);
    }

    [Fact]
    public async Task A_code_from_two_minutes_ago_is_refused_as_invalid_code_and_setup_stays_pending()
    {
        var org = TestIds.Unique("drift");
        await Admin.CreateOrgAsync(org);
        await Admin.CreateUserAsync(org, "bob");
        var secret = await Admin.StartEnrollmentAsync(org, "bob");

        var stale = Oathtool.Totp(secret, DateTimeOffset.UtcNow.AddMinutes(-2));
        (await Admin.ConfirmAsync(org, "bob", stale)).Problem(HttpStatusCode.BadRequest, "invalid-code");

        Assert.Equal("pending-setup", (string?)(await Admin.GetAsync($"/api/orgs/{org}/users/bob")).Ok()["totpStatus"]);
    }

    [Fact]
    public async Task A_code_from_the_previous_time_step_is_accepted_within_the_drift_window()
    {
        var org = TestIds.Unique("drift");
        await Admin.CreateOrgAsync(org);
        await Admin.CreateUserAsync(org, "carol");
        var secret = await Admin.StartEnrollmentAsync(org, "carol");

        // A step boundary between computing the code and the silo checking it would make it two steps old: only then retry.
        for (var attempt = 1; ; attempt++)
        {
            var before = DateTimeOffset.UtcNow;
            var response = await Admin.ConfirmAsync(org, "carol", Oathtool.Totp(secret, before - Step));
            var crossedStep = StepOf(DateTimeOffset.UtcNow) != StepOf(before);
            if (response.Status == HttpStatusCode.OK || attempt == 2 || !crossedStep)
            {
                Assert.Equal("enrolled", (string?)response.Ok()["totpStatus"]);
                return;
            }
        }
    }

    private static long StepOf(DateTimeOffset time) => time.ToUnixTimeSeconds() / (long)Step.TotalSeconds;
}
