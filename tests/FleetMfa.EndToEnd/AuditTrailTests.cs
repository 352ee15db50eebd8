using System.Net;
using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>
/// <c>GET /api/orgs/{orgId}/audit</c>: operator actions (who, what, on what, when, outcome — never a key, secret or
/// code) and the login decisions agents upload, newest first, paged by an opaque cursor, each org its own.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class AuditTrailTests(EndToEndFixture fixture)
{
    private ApiClient Admin => fixture.Silo.Admin;

    [Fact]
    public async Task Every_mutating_call_is_recorded_with_its_caller_target_and_outcome_and_no_secret()
    {
        var org = TestIds.Unique("audit-ops");
        await Admin.CreateOrgAsync(org);
        var operatorKey = await Admin.CreateOperatorKeyAsync(org, "helpdesk");
        var keyId = operatorKey.Split('_')[1];
        var ops = fixture.Silo.WithKey(operatorKey);

        await ops.RegisterDeviceAsync(org, "web-01");
        (await ops.PostAsync($"/api/orgs/{org}/devices/web-01/mfa/enable", new { force = true })).Ok();
        (await ops.PostAsync($"/api/orgs/{org}/devices/ghost/mfa/disable")).Problem(HttpStatusCode.NotFound, "not-found");
        var secret = await ops.CreateEnrolledUserAsync(org, "alice");
        var code = Oathtool.Totp(secret);
        (await ops.ConfirmAsync(org, "alice", code)).Problem(HttpStatusCode.Conflict, "enrollment-not-started");
        await ops.BindAsync(org, "web-01", "alice");
        (await ops.PutAsync($"/api/orgs/{org}/mfa/totp", new { enabled = false })).Ok();
        var (connectKeyId, connectKey) = await ops.CreateConnectKeyAsync(org);
        await ops.GetAsync($"/api/orgs/{org}/devices/web-01"); // reads are not recorded

        var body = (await ops.GetAsync($"/api/orgs/{org}/audit")).Body;
        var items = JsonNode.Parse(body)!["items"]!.AsArray().Select(i => i!).ToList();
        Assert.Equal(
            [
                "create-connect-key", "disable-org-totp", "bind-device-user", "confirm-totp-enrollment", "confirm-totp-enrollment",
                "start-totp-enrollment", "put-user", "disable-device-mfa", "enable-device-mfa", "register-device",
                "create-api-key", "enable-org-totp", "put-org",
            ],
            items.Select(i => (string?)i["action"]));
        Assert.All(items, i => Assert.Equal("operator", (string?)i["kind"]));
        Assert.All(items, i => Assert.Null(i["late"]));
        var times = items.Select(i => DateTimeOffset.Parse((string)i["time"]!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(times.OrderDescending(), times);

        var byOperator = items.Take(10).ToList();
        Assert.All(byOperator, i => Assert.Equal($"operator-key:{keyId}", (string?)i["actor"]));
        Assert.All(byOperator, i => Assert.Equal("helpdesk", (string?)i["actorName"]));
        Assert.All(items.Skip(10), i => Assert.Equal("admin", (string?)i["actor"]));

        Assert.Equal(($"connect-key:{connectKeyId}", "succeeded"), Summary(items[0]));
        Assert.Equal(($"device:web-01/user:alice", "succeeded"), Summary(items[2]));
        Assert.Equal(("user:alice", "enrollment-not-started"), Summary(items[3]));
        Assert.Equal(("user:alice", "succeeded"), Summary(items[4]));
        Assert.Equal(("device:ghost", "not-found"), Summary(items[7]));
        Assert.Equal(("device:web-01", "succeeded"), Summary(items[8]));
        Assert.Equal("force", (string?)items[8]["detail"]);
        Assert.Equal("web-01", (string?)items[8]["deviceId"]);
        Assert.Equal(($"api-key:{keyId}", "succeeded"), Summary(items[10]));
        Assert.Equal(($"org:{org}", "succeeded"), Summary(items[12]));

        foreach (var secretText in new[] { operatorKey, operatorKey.Split('_')[2], connectKey, secret, code, fixture.Silo.AdminKey })
        {
            Assert.DoesNotContain(secretText, body, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task An_org_reads_only_its_own_trail()
    {
        var org = TestIds.Unique("audit-a");
        var other = TestIds.Unique("audit-b");
        await Admin.CreateOrgAsync(org);
        await Admin.CreateOrgAsync(other);
        var ours = fixture.Silo.WithKey(await Admin.CreateOperatorKeyAsync(org));
        var theirs = fixture.Silo.WithKey(await Admin.CreateOperatorKeyAsync(other));
        await theirs.RegisterDeviceAsync(other, "their-device");
        await ours.RegisterDeviceAsync(org, "our-device");

        (await theirs.GetAsync($"/api/orgs/{org}/audit")).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await fixture.Silo.Anonymous.GetAsync($"/api/orgs/{org}/audit")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        var mine = await ours.ReadAuditAsync(org);
        Assert.DoesNotContain(mine, i => i.ToJsonString().Contains("their-device", StringComparison.Ordinal));
        Assert.Contains(mine, i => (string?)i["target"] == "device:our-device");

        // A cursor of one org is no way into another's trail.
        await ours.RegisterDeviceAsync(org, "our-device-2");
        var cursor = (string?)(await ours.GetAsync($"/api/orgs/{org}/audit?limit=1")).Ok()["nextCursor"];
        Assert.NotNull(cursor);
        (await theirs.GetAsync($"/api/orgs/{other}/audit?cursor={Uri.EscapeDataString(cursor)}")).Problem(HttpStatusCode.BadRequest, "validation");
        (await ours.GetAsync($"/api/orgs/{org}/audit?cursor=garbage")).Problem(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task Pages_follow_the_cursor_newest_first_until_the_last()
    {
        var org = TestIds.Unique("audit-pages");
        await Admin.CreateOrgAsync(org); // put-org, enable-org-totp
        for (var i = 0; i < 5; i++)
        {
            await Admin.RegisterDeviceAsync(org, $"dev-{i}");
        }

        var all = await Admin.ReadAuditAsync(org);
        Assert.Equal(7, all.Count);
        var paged = await Admin.ReadAuditAsync(org, limit: 3);
        Assert.Equal(all.Select(i => (string?)i["id"]), paged.Select(i => (string?)i["id"]));
        Assert.Equal(7, paged.Select(i => (string?)i["id"]).Distinct().Count());
        Assert.Equal("device:dev-4", (string?)paged[0]["target"]);

        var first = (await Admin.GetAsync($"/api/orgs/{org}/audit?limit=3")).Ok();
        Assert.Equal(3, first["items"]!.AsArray().Count);
        Assert.NotNull((string?)first["nextCursor"]);
        Assert.Null((string?)(await Admin.GetAsync($"/api/orgs/{org}/audit?limit=7")).Ok()["nextCursor"]);
        Assert.Equal(7, (await Admin.GetAsync($"/api/orgs/{org}/audit?cursor=")).Ok()["items"]!.AsArray().Count);

        foreach (var bad in new[] { "limit=0", "limit=501", "limit=-1", "limit=abc" })
        {
            (await Admin.GetAsync($"/api/orgs/{org}/audit?{bad}")).Problem(HttpStatusCode.BadRequest, "validation");
        }

        (await Admin.GetAsync("/api/orgs/Not_A_Slug/audit")).Problem(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task Logins_decided_online_are_on_time_and_those_decided_offline_arrive_later_marked_late()
    {
        // A silo of our own on fixed ports: stopped while the agent keeps deciding logins, then started again "ten
        // minutes later" (a shifted grain clock) so the agent's queued events arrive well after they happened.
        var settings = fixture.NewSiloSettings("audit-offline").WithFixedMqttPorts() with { HttpPort = FreePorts.Next() };
        var later = settings.WithClockOffset(TimeSpan.FromMinutes(10));
        AgentFlowResult flow;
        string org;
        await using (var first = await SiloProcess.StartAsync(settings))
        {
            flow = await AgentFlow.RunAsync(first, fixture.Workspace, "audit-offline");
            org = flow.OrgId;
            Assert.Equal(0, await flow.Agent.VerifyAsync(flow.LocalUsername, Oathtool.Totp(flow.Secret)));
            var online = await Poll.UntilAsync(
                () => first.Admin.ReadDeviceEventsAsync(org),
                events => events.Count == 1,
                "the online login in the audit trail");
            Assert.Equal(("accepted", false), Login(online[0]));
            Assert.Equal(0, await first.StopAsync());
        }

        await using var agent = flow.Agent;
        Assert.Equal(0, await agent.VerifyAsync(flow.LocalUsername, Oathtool.Totp(flow.Secret, DateTimeOffset.UtcNow.AddSeconds(30))));
        var wrong = Oathtool.WrongTotp(flow.Secret);
        for (var failure = 0; failure < 5; failure++)
        {
            Assert.Equal(1, await agent.VerifyAsync(flow.LocalUsername, wrong));
        }

        Assert.Equal(3, await agent.VerifyAsync(flow.LocalUsername, wrong));
        Assert.Equal(0, await agent.VerifyAsync("someone-else", wrong));

        await using var second = await SiloProcess.StartAsync(later);
        var events = await Poll.UntilAsync(
            () => second.Admin.ReadDeviceEventsAsync(org),
            e => e.Count == 9,
            "the logins decided offline uploaded after the agent reconnected",
            TimeSpan.FromSeconds(150));

        var offline = events.Take(8).ToList();
        Assert.All(offline, e => Assert.True((bool)e["late"]!, e.ToJsonString()));
        Assert.Equal(
            [("not-required", true), ("locked-out", true), ("rejected", true), ("rejected", true), ("rejected", true), ("rejected", true), ("rejected", true), ("accepted", true)],
            offline.Select(Login));
        Assert.All(offline, e =>
        {
            var delay = Time(e, "receivedAt") - Time(e, "time");
            Assert.True(delay >= TimeSpan.FromMinutes(9), $"received {delay} after it happened: {e.ToJsonString()}");
            Assert.Equal($"device:{flow.DeviceId}", (string?)e["actor"]);
            Assert.Equal(flow.DeviceId, (string?)e["deviceId"]);
        });
        Assert.Equal(("user:alice", "alice", flow.LocalUsername), Who(offline[1]));
        Assert.Equal(("local-user:someone-else", null, "someone-else"), Who(offline[0]));
        Assert.Equal(("accepted", false), Login(events[8]));
        Assert.Equal(9, events.Select(e => (string?)e["id"]).Distinct().Count());

    }

    private static (string?, string?) Summary(JsonNode item) => ((string?)item["target"], (string?)item["outcome"]);

    private static (string?, bool?) Login(JsonNode item) => ((string?)item["outcome"], (bool?)item["late"]);

    private static (string?, string?, string?) Who(JsonNode item) => ((string?)item["target"], (string?)item["userId"], (string?)item["localUsername"]);

    private static DateTimeOffset Time(JsonNode item, string member) =>
        DateTimeOffset.Parse((string)item[member]!, System.Globalization.CultureInfo.InvariantCulture);
}
