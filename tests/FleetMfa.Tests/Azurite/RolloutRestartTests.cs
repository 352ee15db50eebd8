using FleetMfa.Grains;
using FleetMfa.Tests.Infrastructure;
using Orleans.Core.Internal;

namespace FleetMfa.Tests.Azurite;

/// <summary>A rollout's progress lives in Azure Table storage: a cluster restart in the middle loses no device.</summary>
[Collection(AzuriteCollection.Name)]
public class RolloutRestartTests(AzuriteClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task A_rollout_interrupted_by_a_full_cluster_restart_finishes_with_every_device_accounted_for()
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        var ids = Enumerable.Range(0, 12).Select(i => $"host-{i}").ToList();
        foreach (var id in ids)
        {
            await Grains.EnrollAgentAsync(orgId, id);
        }

        var spec = new RolloutSpec(RolloutAction.EnableMfa, false, null, RolloutSpec.DefaultMaxConcurrency, null, null, RolloutSpec.DefaultAckTimeout, "test");
        await Grains.GetRollout(orgId, "r-restart").StartAsync(spec, ids);
        await Poll.UntilAsync(() => CountDesiredAsync(orgId, ids), n => n == ids.Count, "every device started");
        foreach (var id in ids.Take(4))
        {
            await Grains.AckAsync(orgId, id);
        }

        await Poll.UntilAsync(async () => (await Grains.GetRollout(orgId, "r-restart").GetAsync())!.Counts.Succeeded, n => n == 4, "four acks counted");

        await fixture.RestartClusterAsync();

        var midway = await Grains.GetRollout(orgId, "r-restart").GetAsync();
        Assert.NotNull(midway);
        Assert.Equal(RolloutStatus.Running, midway.Status);
        Assert.Equal(ids.Count, midway.Counts.Total);
        foreach (var id in ids.Skip(4))
        {
            await Grains.AckAsync(orgId, id);
        }

        var finished = await Poll.UntilAsync(async () => (await Grains.GetRollout(orgId, "r-restart").GetAsync())!, s => s.FinishedAt is not null, "the rollout finished");
        Assert.Equal((RolloutStatus.Completed, new RolloutCounts(ids.Count, ids.Count, 0, 0, 0)), (finished.Status, finished.Counts));
        Assert.Equal(["r-restart"], await Grains.GetOrg(orgId).GetRolloutIdsAsync());
    }

    /// <summary>
    /// A shard deactivated while its ask is out (the device's storage write hangs 2 s, then times out): the new
    /// activation asks the device again, the rollout finishes, and the shard's row never meets a second writer (no ETag
    /// conflict). Note: this passes without <c>BatchedUpdates.Close</c> too — here the old activation's late answer did
    /// not reach a write — so it guards the resume, not the cause of the failover timeouts (see BatchedUpdatesTests).
    /// </summary>
    [Fact]
    public async Task A_shard_deactivated_while_its_ask_is_out_asks_again_and_finishes_with_one_writer()
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        const string deviceId = "late-answer";
        await Grains.EnrollAgentAsync(orgId, deviceId);
        var device = Grains.GetDevice(orgId, deviceId);
        var shard = Grains.GetRolloutShard(orgId, "r-late-answer", GrainKeys.DeviceShard(deviceId));
        FaultInjectingGrainStorage.FailNextWrite(device.GetGrainId(), StorageFault.Timeout);

        var spec = new RolloutSpec(RolloutAction.EnableMfa, false, null, RolloutSpec.DefaultMaxConcurrency, null, null, RolloutSpec.DefaultAckTimeout, "test");
        await Grains.GetRollout(orgId, "r-late-answer").StartAsync(spec, [deviceId]);
        await Poll.UntilAsync(() => Task.FromResult(FaultInjectingGrainStorage.IsArmed(device.GetGrainId())), armed => !armed, "the shard's ask reached the device, whose write hangs");

        await shard.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Equal(1, (await shard.GetCountsAsync()).Pending);

        // The new activation asked the device again; the old one's ask failed after the hang and came back to it.
        await Poll.UntilAsync(async () => (await device.GetAsync())!.Mfa.Desired, desired => desired, "the device took the change");
        await Grains.AckAsync(orgId, deviceId);
        var finished = await Poll.UntilAsync(async () => (await Grains.GetRollout(orgId, "r-late-answer").GetAsync())!, s => s.FinishedAt is not null, "the rollout finished");

        Assert.Equal(new RolloutCounts(1, 1, 0, 0, 0), finished.Counts);
        Assert.Equal(0, FaultInjectingGrainStorage.ConflictsOf(shard.GetGrainId()));
    }

    private async Task<int> CountDesiredAsync(string orgId, List<string> ids)
    {
        var details = await Task.WhenAll(ids.Select(id => Grains.GetDevice(orgId, id).GetAsync()));
        return details.Count(d => d!.Mfa.Desired);
    }
}
