using FleetMfa.Grains;
using FleetMfa.Tests.Infrastructure;

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

    private async Task<int> CountDesiredAsync(string orgId, List<string> ids)
    {
        var details = await Task.WhenAll(ids.Select(id => Grains.GetDevice(orgId, id).GetAsync()));
        return details.Count(d => d!.Mfa.Desired);
    }
}
