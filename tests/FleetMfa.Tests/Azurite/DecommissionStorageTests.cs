using FleetMfa.Grains;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Azurite;

/// <summary>
/// Decommissioning under the real grains on Azurite: a failed write changes nothing and a retry does the work once;
/// the wipe acknowledgement revokes the device (broker access, retained messages, user bindings), the listing hides it
/// unless asked, its id cannot be enrolled again, and once its retention is over it is gone (state and index row).
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class DecommissionStorageTests(AzuriteClusterFixture fixture)
{
    private static readonly RecordingDesiredStatePublisher Publisher = FleetSiloConfigurator.Publisher;
    private static readonly RecordingDeviceAccessRevoker Revoker = FleetSiloConfigurator.Revoker;

    private IGrainFactory Grains => fixture.Grains;

    [Theory]
    [InlineData(StorageFault.Refused)]
    [InlineData(StorageFault.Timeout)]
    public async Task A_decommission_whose_write_fails_changes_nothing_and_a_retry_does_it_once(StorageFault fault)
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        await Grains.EnrollAgentAsync(orgId, "web-01");
        var device = Grains.GetDevice(orgId, "web-01");
        var before = (await device.GetAsync())!;
        var published = Publisher.Count(orgId, "web-01");

        FaultInjectingGrainStorage.FailNextWrite(device.GetGrainId(), fault);
        await FleetAssert.StorageFailedAsync(() => device.DecommissionAsync());
        Assert.False(FaultInjectingGrainStorage.IsArmed(device.GetGrainId()), "the call never wrote");

        var unchanged = (await device.GetAsync())!;
        Assert.Null(unchanged.Decommissioned);
        Assert.Equal(before.Mfa.DesiredVersion, unchanged.Mfa.DesiredVersion);
        Assert.Equal(published, Publisher.Count(orgId, "web-01"));
        Assert.Equal(0, Revoker.Revocations(orgId, "web-01"));

        var record = await device.DecommissionAsync();
        Assert.False(record.WipeAcknowledged);
        Assert.Equal(published + 1, Publisher.Count(orgId, "web-01"));
        var last = Publisher.Last(orgId, "web-01")!;
        Assert.Equal((true, false, before.Mfa.DesiredVersion + 1), (last.Decommission, last.Mfa, last.Version));

        // Idempotent: the same record, nothing published again.
        Assert.Equal(record, await device.DecommissionAsync());
        Assert.Equal(published + 1, Publisher.Count(orgId, "web-01"));

        await fixture.RestartClusterAsync();
        Assert.Equal(record, (await Grains.GetDevice(orgId, "web-01").GetAsync())!.Decommissioned);
    }

    [Fact]
    public async Task A_Decommissioned_device_is_revoked_by_its_wipe_acknowledgement_hidden_from_the_list_and_gone_after_its_retention()
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        await Grains.EnrollAgentAsync(orgId, "web-01");
        await Grains.EnrollAgentAsync(orgId, "web-02");
        var device = Grains.GetDevice(orgId, "web-01");
        var user = Grains.GetUser(orgId, "alice");
        await user.CreateOrUpdateAsync(new UserProfile("alice", null));
        await device.BindUserAsync("alice", "alice");
        Assert.Contains("web-01", (await user.GetAsync())!.Devices);

        var record = await device.DecommissionAsync();

        Assert.Equal(ErrorCodes.DeviceDecommissioned, (await Assert.ThrowsAsync<FleetMfaException>(() => device.BindUserAsync("bob", "bob"))).Code);
        Assert.Equal(ErrorCodes.DeviceDecommissioned, (await Assert.ThrowsAsync<FleetMfaException>(() => device.EnableMfaAsync(force: true))).Code);
        var directory = Grains.GetDeviceDirectory(orgId);
        await Poll.UntilAsync(async () => (await directory.ListAsync(new DeviceQuery(null, null, null, null, 100))).Items.Select(r => r.DeviceId).ToList(), ids => ids.SequenceEqual(["web-02"]), "the listing hides the decommissioned device");
        Assert.Equal(["web-01"], (await directory.ListAsync(new DeviceQuery(null, null, null, null, 100, Decommissioned: true))).Items.Select(r => r.DeviceId));
        Assert.Equal(1, (await directory.CountAsync()).Total);

        await Grains.ReportWipedAsync(orgId, "web-01");

        var acknowledged = (await device.GetAsync())!.Decommissioned!;
        Assert.Equal((record.At, true), (acknowledged.At, acknowledged.WipeAcknowledged));
        Assert.Equal(1, Revoker.Revocations(orgId, "web-01"));
        Assert.Equal(1, Revoker.Clears(orgId, "web-01"));
        Assert.DoesNotContain("web-01", (await user.GetAsync())!.Devices);
        Assert.False(await device.IsMqttPasswordValidAsync(new byte[32]));

        // The id cannot be enrolled again while the record is kept.
        var refusal = await Assert.ThrowsAsync<FleetMfaException>(() => Grains.EnrollAgentAsync(orgId, "web-01"));
        Assert.Equal(ErrorCodes.DeviceDecommissioned, refusal.Code);

        fixture.Time.Advance(TimeSpan.FromDays(30));

        Assert.Null(await device.GetAsync());
        Assert.Empty((await directory.ListAsync(new DeviceQuery(null, null, null, null, 100, Decommissioned: true))).Items);
        await fixture.RestartClusterAsync();
        Assert.Null(await Grains.GetDevice(orgId, "web-01").GetAsync());
        Assert.Empty((await Grains.GetDeviceDirectory(orgId).ListAsync(new DeviceQuery(null, null, null, null, 100, Decommissioned: true))).Items);
        await Grains.EnrollAgentAsync(orgId, "web-01");
    }
}
