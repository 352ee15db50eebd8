using System.Net;
using Azure.Data.Tables;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>
/// An operator action and its audit record are stored together or not at all: the record is written first (outcome
/// <c>started</c>) and replaced by the outcome once the action returned, so when the audit trail cannot be written
/// the action does not run. Here the silo's audit table is deleted from under it (on the real Azurite): switching TOTP
/// on is refused with 503 <c>audit-unavailable</c> and the org is unchanged; once the table is back the same call works,
/// and the trail holds its outcome, not a <c>started</c> record.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class AuditStoreFailureTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task An_audit_store_that_fails_makes_the_totp_switch_fail_and_changes_nothing()
    {
        var auditTable = $"Audit{Guid.NewGuid():N}";
        var settings = fixture.NewSiloSettings("audit-store") with
        {
            Environment = new Dictionary<string, string> { ["FleetMfa__Storage__AuditTable"] = auditTable },
        };
        await using var silo = await SiloProcess.StartAsync(settings);
        var org = TestIds.Unique("audit-store");
        (await silo.Admin.PutAsync($"/api/orgs/{org}", new { name = "Audit store" })).Ok();
        var tables = new TableServiceClient(fixture.Storage.ConnectionString);

        await tables.DeleteTableAsync(auditTable);
        (await silo.Admin.PutAsync($"/api/orgs/{org}/mfa/totp", new { enabled = true })).Problem(HttpStatusCode.ServiceUnavailable, "audit-unavailable");
        Assert.False((bool)(await silo.Admin.GetAsync($"/api/orgs/{org}")).Ok()["totp"]!["enabled"]!);

        await tables.CreateTableIfNotExistsAsync(auditTable);
        (await silo.Admin.PutAsync($"/api/orgs/{org}/mfa/totp", new { enabled = true })).Ok();
        Assert.True((bool)(await silo.Admin.GetAsync($"/api/orgs/{org}")).Ok()["totp"]!["enabled"]!);

        var trail = await silo.Admin.ReadAuditAsync(org);
        var switched = Assert.Single(trail, r => (string?)r["action"] == "enable-org-totp");
        Assert.Equal("succeeded", (string?)switched["outcome"]);
        Assert.DoesNotContain(trail, r => (string?)r["outcome"] == "started");
    }
}
