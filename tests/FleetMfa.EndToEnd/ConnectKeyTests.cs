using System.Net;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>
/// Agents join an org with a connect key (DESIGN §8): only a key the org issued and has not revoked enrolls a device;
/// anything else is a 401 <c>unauthorized</c>, and <c>fleetmfa-agent enroll</c> says so and exits 2.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class ConnectKeyTests(EndToEndFixture fixture)
{
    private ApiClient Admin => fixture.Silo.Admin;

    private ApiClient Anonymous => fixture.Silo.Anonymous;

    [Fact]
    public async Task A_revoked_connect_key_no_longer_enrolls_but_its_devices_stay()
    {
        var org = TestIds.Unique("ckey");
        await Admin.CreateOrgAsync(org);
        var (keyId, key) = await Admin.CreateConnectKeyAsync(org);
        Assert.Matches("^[0-9a-f]{16}$", keyId);
        var enrolled = await Anonymous.EnrollDeviceAsync(key, "before-revoke");

        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"/api/orgs/{org}/connect-keys/{keyId}")).Status);

        (await Anonymous.EnrollAgentAsync(key, "after-revoke")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        await using var agent = DeviceAgent.Create(fixture.Workspace, "after-revoke");
        await AssertEnrollRefusedAsync(agent, key);
        Assert.NotNull(await Admin.GetDeviceRowAsync(org, enrolled.DeviceId));
        (await Admin.DeleteAsync($"/api/orgs/{org}/connect-keys/{keyId}")).Problem(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Revoking_one_connect_key_leaves_the_others_working()
    {
        var org = TestIds.Unique("ckey");
        await Admin.CreateOrgAsync(org);
        var (firstId, first) = await Admin.CreateConnectKeyAsync(org);
        var (_, second) = await Admin.CreateConnectKeyAsync(org);

        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"/api/orgs/{org}/connect-keys/{firstId}")).Status);

        (await Anonymous.EnrollAgentAsync(first, "first")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        await Anonymous.EnrollDeviceAsync(second, "second");
    }

    [Fact]
    public async Task A_bad_connect_key_is_refused_by_the_API_and_by_the_agent()
    {
        var org = TestIds.Unique("ckey");
        await Admin.CreateOrgAsync(org);
        var (_, key) = await Admin.CreateConnectKeyAsync(org);
        var parts = key.Split('_');
        var otherOrg = TestIds.Unique("ckey-other");
        await Admin.CreateOrgAsync(otherOrg);
        string[] badKeys =
        [
            "garbage",
            "",
            string.Join('_', parts[0], parts[1], new string('0', 64), parts[3]),   // wrong secret
            string.Join('_', parts[0], parts[1], parts[2], otherOrg),              // someone else's org
            string.Join('_', "fmk", parts[1], parts[2], parts[3]),                  // not a connect key
            fixture.Silo.AdminKey,
        ];

        foreach (var bad in badKeys)
        {
            (await Anonymous.EnrollAgentAsync(bad, "bad-key")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        }

        await using var agent = DeviceAgent.Create(fixture.Workspace, "bad-key");
        await AssertEnrollRefusedAsync(agent, badKeys[2]);
        var listed = (await Admin.GetAsync($"/api/orgs/{org}/devices")).Ok();
        Assert.Empty(listed["items"]!.AsArray());
    }

    [Fact]
    public async Task Connect_keys_are_created_and_revoked_only_with_a_key_for_the_org()
    {
        var org = TestIds.Unique("ckey");
        await Admin.CreateOrgAsync(org);
        var (keyId, _) = await Admin.CreateConnectKeyAsync(org);

        (await Anonymous.PostAsync($"/api/orgs/{org}/connect-keys")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        (await Anonymous.DeleteAsync($"/api/orgs/{org}/connect-keys/{keyId}")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        (await Admin.DeleteAsync($"/api/orgs/{org}/connect-keys/not-a-key-id")).Problem(HttpStatusCode.BadRequest, "validation");

        var operatorKey = await Admin.CreateOperatorKeyAsync(org);
        var ops = fixture.Silo.WithKey(operatorKey);
        var created = (await ops.PostAsync($"/api/orgs/{org}/connect-keys")).Ok(HttpStatusCode.Created);
        Assert.StartsWith("fmc_", (string?)created["key"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await ops.DeleteAsync($"/api/orgs/{org}/connect-keys/{keyId}")).Status);
    }

    private async Task AssertEnrollRefusedAsync(DeviceAgent agent, string key)
    {
        var result = await agent.EnrollAsync(fixture.Silo.AgentAddress, key);
        Assert.True(result.ExitCode == 2, $"enroll exited with {result.ExitCode}, expected 2:\n{result.Output}");
        Assert.Contains("refused enrollment (401)", result.Output, StringComparison.Ordinal);
        Assert.Contains("unauthorized", result.Output, StringComparison.Ordinal);
        Assert.False((bool)(await agent.StatusAsync())["enrolled"]!);
    }
}
