using System.Net;
using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Fleet;

namespace FleetMfa.EndToEnd;

/// <summary>
/// Bulk Enable MFA through <c>POST /api/orgs/{orgId}/rollouts</c> against real agents (DESIGN §8): progress, per-device
/// outcomes, timeouts, and the validation of the request.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class RolloutApiTests(EndToEndFixture fixture)
{
    // The validation tests share one org; each starts rollouts of its own in it.
    private static readonly OncePerSilo<TestOrg> SharedOrg = new(silo => TestOrg.CreateAsync(silo.Api, TestIds.Unique("rollout-shared")));

    private ApiClient Admin => fixture.Silo.Admin;

    [Fact]
    public async Task A_rollout_over_selected_devices_enables_MFA_on_each_and_reports_every_ack()
    {
        var (org, _, connectKey) = await TestOrg.CreateAsync(fixture.Silo.Api, TestIds.Unique("rollout"));
        var agents = new List<DeviceAgent>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var agent = DeviceAgent.Create(fixture.Workspace, $"rollout-{i}");
                agents.Add(agent);
                await agent.EnrollOrFailAsync(fixture.Silo.AgentAddress, connectKey);
                agent.StartDaemon();
            }

            var selected = agents.Take(3).Select(a => a.DeviceId).ToArray();
            var created = await Admin.PostAsync($"/api/orgs/{org}/rollouts", new { action = "enable-mfa", deviceIds = selected });
            var started = created.Ok(HttpStatusCode.Accepted);
            var rolloutId = (string)started["rolloutId"]!;
            Assert.Equal("running", (string?)started["state"]);
            Assert.Equal(3, (int)started["total"]!);
            Assert.Equal("admin", (string?)started["createdBy"]);

            var done = await Poll.UntilAsync(
                async () => (await Admin.GetAsync($"/api/orgs/{org}/rollouts/{rolloutId}")).Ok(),
                r => (string?)r["state"] == "completed",
                $"rollout {rolloutId} completed");
            Assert.Equal((3, 3, 0, 0, 0), ((int)done["total"]!, (int)done["succeeded"]!, (int)done["pending"]!, (int)done["rejected"]!, (int)done["failed"]!));
            Assert.NotNull((string?)done["finishedAt"]);
            var outcomes = done["outcomes"]!.AsArray();
            Assert.Equal(selected.Order(StringComparer.Ordinal), outcomes.Select(o => (string)o!["deviceId"]!).Order(StringComparer.Ordinal));
            Assert.All(outcomes, o => Assert.Equal("succeeded", (string?)o!["outcome"]));

            foreach (var id in selected)
            {
                Assert.Equal("enabled", (string?)(await Admin.GetDeviceAsync(org, id))["mfa"]!["status"]);
            }

            Assert.Equal("disabled", (string?)(await Admin.GetDeviceAsync(org, agents[3].DeviceId))["mfa"]!["status"]);
            var list = (await Admin.GetAsync($"/api/orgs/{org}/rollouts")).Ok()["items"]!.AsArray();
            Assert.Equal(rolloutId, (string?)Assert.Single(list)!["rolloutId"]);
        }
        finally
        {
            foreach (var agent in agents)
            {
                await agent.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_device_whose_agent_is_down_fails_with_timeout_and_a_refused_one_is_rejected_with_the_rule_code()
    {
        var (org, _, connectKey) = await TestOrg.CreateAsync(fixture.Silo.Api, TestIds.Unique("rollout-timeout"));
        await using var silent = DeviceAgent.Create(fixture.Workspace, "rollout-silent");
        await silent.EnrollOrFailAsync(fixture.Silo.AgentAddress, connectKey); // enrolled, never running
        await Admin.RegisterDeviceAsync(org, "conflicted");
        (await Admin.PatchAsync($"/api/orgs/{org}/devices/conflicted", new { linux = new { sshPasswordLogin = true, sshPublicKeyAuth = true } })).Ok();

        var created = (await Admin.PostAsync($"/api/orgs/{org}/rollouts", new
        {
            action = "enable-mfa",
            filter = new { os = "linux" },
            ackTimeoutSeconds = 2,
        })).Ok(HttpStatusCode.Accepted);
        var rolloutId = (string)created["rolloutId"]!;

        var done = await Poll.UntilAsync(
            async () => (await Admin.GetAsync($"/api/orgs/{org}/rollouts/{rolloutId}")).Ok(),
            r => (string?)r["state"] == "completed",
            $"rollout {rolloutId} completed");
        Assert.Equal((2, 0, 1, 1), ((int)done["total"]!, (int)done["succeeded"]!, (int)done["rejected"]!, (int)done["failed"]!));
        var byDevice = done["outcomes"]!.AsArray().ToDictionary(o => (string)o!["deviceId"]!, o => o!);
        Assert.Equal(("failed", "timeout"), ((string?)byDevice[silent.DeviceId]["outcome"], (string?)byDevice[silent.DeviceId]["code"]));
        Assert.Equal(("rejected", "linux-ssh-conflict"), ((string?)byDevice["conflicted"]["outcome"], (string?)byDevice["conflicted"]["code"]));

        var rejectedOnly = (await Admin.GetAsync($"/api/orgs/{org}/rollouts/{rolloutId}?outcome=rejected&limit=1")).Ok();
        Assert.Equal("conflicted", (string?)Assert.Single(rejectedOnly["outcomes"]!.AsArray())!["deviceId"]);
        Assert.Null((string?)rejectedOnly["nextCursor"]);
    }

    [Fact]
    public async Task A_rollout_may_name_many_devices_beyond_the_usual_body_limit()
    {
        var org = TestIds.Unique("rollout-big");
        await Admin.CreateOrgAsync(org);
        var ids = Enumerable.Range(0, 3_000).Select(i => $"unknown-device-{i:D5}").ToArray(); // ~70 KB of JSON, over the usual 64 KiB

        var created = (await Admin.PostAsync($"/api/orgs/{org}/rollouts", new { action = "disable-mfa", deviceIds = ids })).Ok(HttpStatusCode.Accepted);
        var rolloutId = (string)created["rolloutId"]!;
        Assert.Equal(ids.Length, (int)created["total"]!);

        var done = await Poll.UntilAsync(
            async () => (await Admin.GetAsync($"/api/orgs/{org}/rollouts/{rolloutId}?outcome=failed&limit=1000")).Ok(),
            r => (string?)r["state"] == "completed",
            $"rollout {rolloutId} completed",
            TimeSpan.FromMinutes(2));
        Assert.Equal(ids.Length, (int)done["failed"]!);
        Assert.Equal(1000, done["outcomes"]!.AsArray().Count);
        Assert.All(done["outcomes"]!.AsArray(), o => Assert.Equal("not-found", (string?)o!["code"]));
        Assert.NotNull((string?)done["nextCursor"]);
    }

    public static TheoryData<string> InvalidBodies => new()
    {
        """{"action":"enable-mfa"}""",
        """{"action":"enable-mfa","deviceIds":["a"],"filter":{}}""",
        """{"action":"enable-mfa","deviceIds":[]}""",
        """{"action":"enable-mfa","deviceIds":["a","a"]}""",
        """{"action":"enable-mfa","deviceIds":["Not A Slug"]}""",
        """{"action":"reboot","deviceIds":["a"]}""",
        """{"action":0,"deviceIds":["a"]}""",
        """{"deviceIds":["a"]}""",
        """{"action":"enable-mfa","filter":{"os":"beos"}}""",
        """{"action":"enable-mfa","filter":{},"maxConcurrency":0}""",
        """{"action":"enable-mfa","filter":{},"maxConcurrency":10001}""",
        """{"action":"enable-mfa","filter":{},"ratePerMinute":0}""",
        """{"action":"enable-mfa","filter":{},"abortThresholdPercent":101}""",
        """{"action":"enable-mfa","filter":{},"ackTimeoutSeconds":0}""",
        """{"action":"disable-mfa","filter":{},"force":true}""",
        """{"action":"enable-mfa","filter":{},"extra":1}""",
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task A_malformed_rollout_request_is_a_400_validation_problem(string body)
    {
        var org = await SharedOrgAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/orgs/{org}/rollouts")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };

        (await Admin.SendAsync(request)).Problem(HttpStatusCode.BadRequest, "validation");
    }

    [Theory]
    [InlineData("?limit=0")]
    [InlineData("?limit=1001")]
    [InlineData("?outcome=maybe")]
    [InlineData("?cursor=nonsense")]
    public async Task Bad_outcome_queries_are_400s(string query)
    {
        var org = await SharedOrgAsync();
        var rolloutId = (string)(await Admin.PostAsync($"/api/orgs/{org}/rollouts", new { action = "enable-mfa", filter = new { } })).Ok(HttpStatusCode.Accepted)["rolloutId"]!;

        (await Admin.GetAsync($"/api/orgs/{org}/rollouts/{rolloutId}{query}")).Problem(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task An_unknown_rollout_is_404_and_another_orgs_key_gets_403()
    {
        var org = await SharedOrgAsync();
        var rolloutId = (string)(await Admin.PostAsync($"/api/orgs/{org}/rollouts", new { action = "enable-mfa", filter = new { } })).Ok(HttpStatusCode.Accepted)["rolloutId"]!;
        var other = TestIds.Unique("rollout-other");
        await Admin.CreateOrgAsync(other);
        var otherKey = await Admin.CreateOperatorKeyAsync(other);
        var intruder = fixture.Silo.WithKey(otherKey);

        (await Admin.GetAsync($"/api/orgs/{org}/rollouts/r-nope")).Problem(HttpStatusCode.NotFound, "not-found");
        (await Admin.GetAsync($"/api/orgs/{other}/rollouts/{rolloutId}")).Problem(HttpStatusCode.NotFound, "not-found");
        (await intruder.GetAsync($"/api/orgs/{org}/rollouts/{rolloutId}")).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await intruder.PostAsync($"/api/orgs/{org}/rollouts", new { action = "enable-mfa", filter = new { } })).Problem(HttpStatusCode.Forbidden, "forbidden");

        var own = (await intruder.PostAsync($"/api/orgs/{other}/rollouts", new { action = "enable-mfa", filter = new { } })).Ok(HttpStatusCode.Accepted);
        Assert.StartsWith("key:", (string?)own["createdBy"], StringComparison.Ordinal);
    }

    private async Task<string> SharedOrgAsync() => (await SharedOrg.GetAsync(fixture.Silo)).OrgId;
}
