using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Fleet;

namespace FleetMfa.EndToEnd;

/// <summary>
/// A device that is off while the operator changes it gets the latest state the moment its agent connects: the
/// desired state is retained on the broker (DESIGN §4).
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class OfflineAgentTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task An_agent_that_was_offline_while_MFA_was_enabled_and_a_user_bound_applies_the_retained_state_when_it_starts()
    {
        var admin = fixture.Silo.Admin;
        var (org, _, connectKey) = await TestOrg.CreateAsync(fixture.Silo.Api, TestIds.Unique("offline"));
        await using var agent = DeviceAgent.Create(fixture.Workspace, "offline-host");
        await agent.EnrollOrFailAsync(fixture.Silo.AgentAddress, connectKey);
        var device = agent.DeviceId;

        // Enrolled, never run: the device is known but not online.
        var row = await admin.GetDeviceRowAsync(org, device);
        Assert.NotNull(row);
        Assert.False((bool)row["online"]!);

        await admin.EnableMfaAsync(org, device);
        var secret = await admin.CreateEnrolledUserAsync(org, "bob");
        await admin.BindAsync(org, device, "bob", "bob");

        var pending = await admin.GetDeviceAsync(org, device);
        Assert.Equal("pending", (string?)pending["mfa"]!["status"]);
        Assert.True((long)pending["mfa"]!["appliedVersion"]! < (long)pending["mfa"]!["desiredVersion"]!);
        Assert.Equal("pending", (string?)Assert.Single(await admin.GetDeviceUsersAsync(org, device))!["onDevice"]);
        var offlineStatus = await agent.StatusAsync();
        Assert.Equal(0L, (long)offlineStatus["appliedVersion"]!);
        Assert.False((bool)offlineStatus["mfa"]!);
        // Nothing applied yet, so the device does not require TOTP of anyone: any code passes (DESIGN §5, exit 0).
        Assert.Equal(0, await agent.VerifyAsync("bob", Oathtool.WrongTotp(secret)));

        agent.StartDaemon();

        var enabled = await admin.WaitForMfaStatusAsync(org, device, "enabled");
        Assert.Equal((long)pending["mfa"]!["desiredVersion"]!, (long)enabled["mfa"]!["appliedVersion"]!);
        await admin.WaitForOnDeviceAsync(org, device, "bob", "active");
        var status = await agent.StatusAsync();
        Assert.True((bool)status["mfa"]!);
        Assert.Equal("bob", (string?)Assert.Single(status["users"]!.AsArray())!["localUsername"]);
        Assert.Equal(0, await agent.VerifyAsync("bob", Oathtool.Totp(secret)));
    }

    [Fact]
    public async Task An_agent_offline_across_a_silo_restart_gets_the_state_the_embedded_broker_forgot()
    {
        // The embedded broker keeps retained messages in memory only: after a restart the device's desired state is
        // gone from it, and the device grain must re-publish when the agent reports that it is behind (DESIGN §4).
        var settings = fixture.NewSiloSettings("offline-restart").WithFixedMqttPorts();
        string org;
        await using var agent = DeviceAgent.Create(fixture.Workspace, "offline-restart-host");
        string secret;
        await using (var first = await SiloProcess.StartAsync(settings))
        {
            (org, _, var connectKey) = await TestOrg.CreateAsync(first.Api, TestIds.Unique("offline-restart"));
            await agent.EnrollOrFailAsync(first.AgentAddress, connectKey);
            await first.Admin.EnableMfaAsync(org, agent.DeviceId);
            secret = await first.Admin.CreateEnrolledUserAsync(org, "carol");
            await first.Admin.BindAsync(org, agent.DeviceId, "carol", "carol");
            Assert.Equal(0, await first.StopAsync());
        }

        await using var second = await SiloProcess.StartAsync(settings);
        Assert.Equal("pending", (string?)(await second.Admin.GetDeviceAsync(org, agent.DeviceId))["mfa"]!["status"]);
        agent.StartDaemon();

        await second.Admin.WaitForMfaStatusAsync(org, agent.DeviceId, "enabled");
        await second.Admin.WaitForOnDeviceAsync(org, agent.DeviceId, "carol", "active");
        Assert.Equal(0, await agent.VerifyAsync("carol", Oathtool.Totp(secret)));
    }
}
