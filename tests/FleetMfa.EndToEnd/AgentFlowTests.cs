using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>
/// The whole product with a real agent process, on either broker (DESIGN §4, §5): enroll, run, MFA on, a user set up
/// and bound, then <c>verify</c> decides a login offline from what the desired state delivered.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class AgentFlowTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task An_enrolled_agent_enforces_TOTP_for_a_bound_user_through_the_embedded_broker() =>
        await RunFullFlowAsync(BrokerKind.Embedded);

    [Fact]
    public async Task An_enrolled_agent_enforces_TOTP_for_a_bound_user_through_Mosquitto()
    {
        var plane = await fixture.SharedControlPlaneAsync(BrokerKind.Mosquitto);
        var device = await RunFullFlowAsync(BrokerKind.Mosquitto);

        // The silo gave the device its account in Mosquitto's password file: a $7$ (PBKDF2-SHA512) entry, no password.
        var entries = await File.ReadAllLinesAsync(plane.Mosquitto!.PasswordFile);
        var entry = Assert.Single(entries, line => line.StartsWith($"{device.OrgId}/{device.DeviceId}:", StringComparison.Ordinal));
        Assert.StartsWith($"{device.OrgId}/{device.DeviceId}:$7$", entry, StringComparison.Ordinal);
        Assert.DoesNotContain(device.Password!, string.Join('\n', entries), StringComparison.Ordinal);
    }

    private async Task<(string OrgId, string DeviceId, string? Password)> RunFullFlowAsync(BrokerKind kind)
    {
        var plane = await fixture.SharedControlPlaneAsync(kind);
        var name = $"flow-{kind.ToString().ToLowerInvariant()}";
        var flow = await AgentFlow.RunAsync(plane.Silo, fixture.Workspace, name);
        await using var agent = flow.Agent;

        var detail = await plane.Admin.GetDeviceAsync(flow.OrgId, flow.DeviceId);
        Assert.Equal("linux", (string?)detail["os"]);
        Assert.Equal($"{name}-host", (string?)detail["hostname"]);
        Assert.True((bool)detail["mfa"]!["required"]!);

        var onDevice = Assert.Single(await plane.Admin.GetDeviceUsersAsync(flow.OrgId, flow.DeviceId))!;
        Assert.Equal("enrolled", (string?)onDevice["totpStatus"]);
        Assert.Equal(flow.LocalUsername, (string?)onDevice["localUsername"]);

        // The agent decides offline, from its own store: a fresh code once, never the same code twice.
        var code = Oathtool.Totp(flow.Secret);
        Assert.Equal(0, await agent.VerifyAsync(flow.LocalUsername, code));
        Assert.Equal(1, await agent.VerifyAsync(flow.LocalUsername, code));

        var status = await agent.StatusAsync();
        Assert.True((bool)status["enrolled"]!);
        Assert.True((bool)status["mfa"]!);
        Assert.Equal((long)detail["mfa"]!["desiredVersion"]!, (long)status["appliedVersion"]!);
        var user = Assert.Single(status["users"]!.AsArray())!.AsObject();
        Assert.Equal(flow.UserId, (string?)user["userId"]);
        Assert.Equal(flow.LocalUsername, (string?)user["localUsername"]);
        Assert.Equal(["localUsername", "secretVersion", "userId"], user.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(flow.Secret, status.ToJsonString(), StringComparison.OrdinalIgnoreCase);

        return (flow.OrgId, flow.DeviceId, agent.MqttCredential().Password);
    }
}
