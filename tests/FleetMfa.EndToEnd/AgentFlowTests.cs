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

        // The device logs in with the certificate the silo issued it, and no broker file names it: Mosquitto has no
        // password file, its ACL is the shipped patterns, and nothing was revoked.
        Assert.NotNull(device.Credential.Certificate);
        Assert.Null(device.Credential.Password);
        var mosquitto = plane.Mosquitto!;
        Assert.False(File.Exists(Path.Combine(mosquitto.Directory, "passwd")));
        foreach (var file in Directory.EnumerateFiles(mosquitto.Directory, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".db", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(device.DeviceId, await File.ReadAllTextAsync(file), StringComparison.Ordinal);
        }
    }

    private async Task<(string OrgId, string DeviceId, BrokerCredential Credential)> RunFullFlowAsync(BrokerKind kind)
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

        return (flow.OrgId, flow.DeviceId, agent.MqttCredential());
    }
}
