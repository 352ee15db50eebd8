using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Fleet;
using MQTTnet;

namespace FleetMfa.EndToEnd;

/// <summary>
/// A device that reports an applied version ahead of its grain's (a control plane restored from an older backup issued
/// it) is not dropped forever: the grain continues from the version after it, publishes it signed, and the real agent
/// applies it — the device is enabled again, at that version.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class VersionAdoptionTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task A_device_ahead_of_the_grain_is_adopted_and_applies_the_version_after_it_instead_of_being_wedged()
    {
        var silo = fixture.Silo;
        var admin = silo.Admin;
        var (org, _, connectKey) = await TestOrg.CreateAsync(silo.Api, TestIds.Unique("adopt"));
        await using var agent = DeviceAgent.Create(fixture.Workspace, "adopt-host");
        await agent.EnrollOrFailAsync(silo.AgentAddress, connectKey);
        var device = agent.DeviceId;
        agent.StartDaemon();
        await admin.EnableMfaAsync(org, device);
        var held = (long)(await admin.WaitForMfaStatusAsync(org, device, "enabled"))["mfa"]!["appliedVersion"]!;

        // The device says it holds a version 40 ahead of every one this grain issued.
        Assert.Equal(0, await agent.StopDaemonAsync());
        await using (var probe = await agent.MqttCredential().ConnectEventuallyAsync())
        {
            Assert.Equal(MqttClientPublishReasonCode.Success, await probe.PublishAsync($"fleetmfa/v1/{org}/{device}/reported", ReportJson.Bytes(ReportJson.Create(held + 40, "ahead"))));
        }

        var adopted = await Poll.UntilAsync(
            () => admin.GetDeviceAsync(org, device),
            d => (long)d["mfa"]!["desiredVersion"]! == held + 41,
            "the grain continued from the version after the device's");
        Assert.Equal(("pending", held + 40), ((string?)adopted["mfa"]!["status"], (long)adopted["mfa"]!["appliedVersion"]!));

        // The real agent (it holds the earlier version) gets the signed version after it and applies it.
        agent.StartDaemon();
        var mfa = (await admin.WaitForMfaStatusAsync(org, device, "enabled"))["mfa"]!;
        Assert.Equal((held + 41, held + 41), ((long)mfa["desiredVersion"]!, (long)mfa["appliedVersion"]!));
        Assert.Equal(held + 41, (long)(await agent.StatusAsync())["appliedVersion"]!);
    }
}
