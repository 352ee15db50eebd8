using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using FleetMfa.EndToEnd.Infrastructure;
using Xunit.Abstractions;

namespace FleetMfa.EndToEnd;

/// <summary>
/// TOTP setup expires after the org's enrollment period (7 days by default). Instead of waiting, the silo is restarted
/// "eight days later": Development environment with <c>FleetMfa__Testing__ClockOffset</c>, same data dir and storage.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class EnrollmentExpiryTests(EndToEndFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan EightDays = TimeSpan.FromDays(8);

    [Fact]
    public async Task A_setup_confirmed_after_the_enrollment_period_is_enrollment_expired_and_can_be_restarted()
    {
        var settings = fixture.NewSiloSettings("expiry") with { AdminKey = $"fma_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}" };
        var org = TestIds.Unique("expiry");
        string secret;
        await using (var today = await SiloProcess.StartAsync(settings))
        {
            await today.Admin.CreateOrgAsync(org);
            await today.Admin.CreateUserAsync(org, "paul");
            secret = await today.Admin.StartEnrollmentAsync(org, "paul");
            Assert.Equal(0, await today.StopAsync());
        }

        await using var later = await SiloProcess.StartShiftedAsync(settings.WithClockOffset(EightDays), output.WriteLine);
        var admin = later.Admin;

        // A code that is right for the silo's (shifted) now: the refusal is about the expiry, not the code.
        (await admin.ConfirmAsync(org, "paul", Oathtool.Totp(secret, DateTimeOffset.UtcNow + EightDays)))
            .Problem(HttpStatusCode.Conflict, "enrollment-expired");
        Assert.Equal("pending-setup", (string?)(await admin.GetAsync($"/api/orgs/{org}/users/paul")).Ok()["totpStatus"]);

        var restartedAt = DateTimeOffset.UtcNow + EightDays;
        var enrollment = (await admin.PostAsync($"/api/orgs/{org}/users/paul/totp/enroll")).Ok();
        var expiresAt = DateTimeOffset.Parse((string)enrollment["expiresAt"]!, CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt - restartedAt, TimeSpan.FromDays(7) - TimeSpan.FromMinutes(5), TimeSpan.FromDays(7) + TimeSpan.FromMinutes(5));
        var renewed = (string)enrollment["secret"]!;
        (await admin.ConfirmAsync(org, "paul", Oathtool.Totp(renewed, DateTimeOffset.UtcNow + EightDays))).Ok();
        Assert.Equal("enrolled", (string?)(await admin.GetAsync($"/api/orgs/{org}/users/paul")).Ok()["totpStatus"]);
    }

    [Fact]
    public async Task A_silo_with_a_test_clock_offset_does_not_vote_itself_out_of_its_cluster()
    {
        // The offset is meant for the grains' clock; Orleans' membership must keep real time or it sees its own
        // heartbeat as days old, declares itself dead and the process aborts.
        var shifted = fixture.NewSiloSettings("offset").WithClockOffset(EightDays);
        var settings = shifted with
        {
            Environment = new Dictionary<string, string>(shifted.Environment) { ["Logging__LogLevel__Orleans"] = "Information" },
        };

        await using var silo = await SiloProcess.StartAsync(settings);
        (await silo.Admin.PutAsync($"/api/orgs/{TestIds.Unique("offset")}", new { name = "Offset" })).Ok();

        var evictions = silo.Output.Split('\n').Where(l => l.Contains("Evicting '", StringComparison.Ordinal) || l.Contains(SiloProcess.SelfEvictionMarker, StringComparison.Ordinal)).ToList();
        Assert.True(evictions.Count == 0, $"The silo voted to evict itself:\n{string.Join('\n', evictions)}");
        Assert.False(silo.Process.HasExited, $"The silo exited with {(silo.Process.HasExited ? silo.Process.ExitCode : 0)}:\n{silo.Process.Tail()}");
    }
}
