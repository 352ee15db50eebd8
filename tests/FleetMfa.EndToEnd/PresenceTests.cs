using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>
/// Operators see which devices are online (DESIGN §4 <c>presence</c>): the agent says so when it connects and when it
/// stops, and its last will says so when it dies without a goodbye.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class PresenceTests(EndToEndFixture fixture)
{
    [Theory]
    [InlineData(BrokerKind.Embedded)]
    [InlineData(BrokerKind.Mosquitto)]
    public async Task A_device_is_online_while_its_agent_runs_and_offline_when_it_stops_or_dies(BrokerKind kind)
    {
        var plane = await fixture.SharedControlPlaneAsync(kind);
        var admin = plane.Admin;
        var org = TestIds.Unique("presence");
        await admin.CreateOrgAsync(org);
        var (_, connectKey) = await admin.CreateConnectKeyAsync(org);
        await using var agent = DeviceAgent.Create(fixture.Workspace, $"presence-{kind.ToString().ToLowerInvariant()}");
        await agent.EnrollOrFailAsync(plane.Silo.AgentAddress, connectKey);

        agent.StartDaemon();
        await WaitForOnlineAsync(admin, org, agent.DeviceId, online: true, "the agent connected");
        await WaitForSettledAsync(admin, org, agent.DeviceId);

        Assert.Equal(0, await agent.StopDaemonAsync());
        await WaitForOnlineAsync(admin, org, agent.DeviceId, online: false, "the agent stopped (SIGTERM)");

        agent.StartDaemon();
        await WaitForOnlineAsync(admin, org, agent.DeviceId, online: true, "the agent connected again");
        await WaitForSettledAsync(admin, org, agent.DeviceId);

        await agent.KillDaemonAsync();
        await WaitForOnlineAsync(admin, org, agent.DeviceId, online: false, "the agent was killed (last will)");
    }

    /// <summary>
    /// The agent has applied the retained state and its report has been handled: nothing of its start-up is still in
    /// flight when it is stopped (a report handled after its goodbye would mark it online again).
    /// </summary>
    private static Task<JsonNode> WaitForSettledAsync(ApiClient admin, string org, string device) =>
        Poll.UntilAsync(
            () => admin.GetDeviceAsync(org, device),
            d => (string?)d["facts"]!["agentVersion"] is not null && (long)d["mfa"]!["appliedVersion"]! == (long)d["mfa"]!["desiredVersion"]!,
            "the agent's start-up report handled");

    private static async Task WaitForOnlineAsync(ApiClient admin, string org, string device, bool online, string after)
    {
        await Poll.UntilAsync(() => admin.GetDeviceRowAsync(org, device), row => row is not null && (bool)row["online"]! == online, $"listed {(online ? "online" : "offline")} after {after}");
        Assert.Equal(online, (bool)(await admin.GetDeviceAsync(org, device))["online"]!);
    }
}
