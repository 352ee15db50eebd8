using System.Net;
using System.Security.Cryptography;
using FleetMfa.EndToEnd.Infrastructure;
using Xunit.Abstractions;

namespace FleetMfa.EndToEnd;

/// <summary>
/// Keys created with <c>expiresInHours</c> are refused from their expiry on. Instead of waiting, the silo is restarted
/// "two hours later" (Development environment with <c>FleetMfa__Testing__ClockOffset</c>, as EnrollmentExpiryTests does).
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class KeyExpiryTests(EndToEndFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Expired_operator_and_connect_keys_are_401_and_keys_without_an_expiry_still_work()
    {
        var settings = fixture.NewSiloSettings("keyexpiry") with { AdminKey = $"fma_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}" };
        var org = TestIds.Unique("keyexpiry");
        string expiring, lasting, expiringConnect, lastingConnect;
        await using (var today = await SiloProcess.StartAsync(settings))
        {
            var admin = today.Admin;
            await admin.CreateOrgAsync(org);
            expiring = (string)(await admin.PostAsync($"/api/orgs/{org}/api-keys", new { name = "one hour", expiresInHours = 1 })).Ok(HttpStatusCode.Created)["key"]!;
            lasting = await admin.CreateOperatorKeyAsync(org, "no expiry");
            expiringConnect = (string)(await admin.PostAsync($"/api/orgs/{org}/connect-keys", new { expiresInHours = 1 })).Ok(HttpStatusCode.Created)["key"]!;
            (_, lastingConnect) = await admin.CreateConnectKeyAsync(org);
            (await today.WithKey(expiring).GetAsync($"/api/orgs/{org}")).Ok();
            Assert.Equal(0, await today.StopAsync());
        }

        await using var later = await SiloProcess.StartShiftedAsync(settings.WithClockOffset(TimeSpan.FromHours(2)), output.WriteLine);

        (await later.WithKey(expiring).GetAsync($"/api/orgs/{org}")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        (await later.WithKey(lasting).GetAsync($"/api/orgs/{org}")).Ok();
        (await later.Anonymous.EnrollAgentAsync(expiringConnect, "too-late")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        await later.Anonymous.EnrollDeviceAsync(lastingConnect, "in-time");
        var keys = (await later.Admin.GetAsync($"/api/orgs/{org}/api-keys")).Ok()["items"]!.AsArray();
        Assert.Equal([("one hour", true), ("no expiry", false)], keys.Select(k => ((string)k!["name"]!, (bool)k["expired"]!)));
        var connectKeys = (await later.Admin.GetAsync($"/api/orgs/{org}/connect-keys")).Ok()["items"]!.AsArray();
        Assert.Equal([true, false], connectKeys.Select(k => (bool)k!["expired"]!));
    }
}
