using FleetMfa.Grains;
using FleetMfa.Grains.Orgs;
using FleetMfa.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.TestingHost;

namespace FleetMfa.Tests.Orgs;

/// <summary>
/// The org TOTP switch fails closed: its fan-out's reminder is armed before the write that leaves shards to tell, the
/// reminder goes by what storage holds, and a new activation carries on a fan-out its last one left unfinished. A write
/// stored with its answer lost stands for the crash right after the write: storage has the switch, the activation
/// that made it did nothing more.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PolicyFanOutRecoveryTests(ClusterFixture fixture)
{
    /// <summary>Short of the reminder's one-minute period (real time), so that what is awaited is not a reminder tick.</summary>
    private static readonly TimeSpan NoReminderTick = TimeSpan.FromSeconds(20);

    private readonly IGrainFactory _grains = fixture.Grains;

    [Fact]
    public async Task The_fan_out_reminder_is_armed_before_the_switch_is_stored_and_removed_once_every_shard_confirmed()
    {
        var orgId = await _grains.NewOrgAsync();
        var org = _grains.GetOrg(orgId);
        var gate = FaultInjectingGrainStorage.HoldWrites([org.GetGrainId()]);
        Task<OrgSettings> switching;
        try
        {
            switching = org.SetTotpEnabledAsync(true);
            await Poll.UntilAsync(() => gate.Held == 1, "the switch's write waits");
            Assert.NotNull(await FanOutReminderAsync(org));
        }
        finally
        {
            gate.Open();
            FaultInjectingGrainStorage.StopHolding([org.GetGrainId()]);
        }

        Assert.True((await switching).TotpEnabled);
        await WaitForFanOutAsync(org);
        await Poll.UntilAsync(() => FanOutReminderAsync(org), r => r is null, "the reminder removed once every shard confirmed");
    }

    [Fact]
    public async Task A_switch_whose_write_was_refused_leaves_a_reminder_that_finds_nothing_to_do_and_removes_itself()
    {
        var orgId = await _grains.NewOrgAsync();
        var devices = await DevicesWithMfaOnAsync(orgId);
        var org = _grains.GetOrg(orgId);

        FaultInjectingGrainStorage.FailNextWrite(org.GetGrainId());
        await FleetAssert.StorageFailedAsync(() => org.SetTotpEnabledAsync(true));
        Assert.NotNull(await FanOutReminderAsync(org));

        await TickAsync(org);

        Assert.Null(await FanOutReminderAsync(org));
        var settings = (await org.GetAsync())!;
        Assert.Equal((false, true), (settings.TotpEnabled, settings.PolicyFanOut.Complete));
        var details = await Task.WhenAll(devices.Select(id => _grains.GetDevice(orgId, id).GetAsync()));
        Assert.All(details, d => Assert.False(d!.Mfa.Required));
    }

    [Fact]
    public async Task A_switch_stored_with_its_answer_lost_is_handed_down_by_its_reminder_in_the_same_activation()
    {
        var orgId = await _grains.NewOrgAsync();
        var devices = await DevicesWithMfaOnAsync(orgId);
        var org = _grains.GetOrg(orgId);

        FaultInjectingGrainStorage.FailNextWrite(org.GetGrainId(), StorageFault.AnswerLost);
        await FleetAssert.StorageFailedAsync(() => org.SetTotpEnabledAsync(true));

        // Armed before the write, so it outlives whatever happened after it; its tick reads what storage holds, which is
        // the switch this activation was told had failed.
        Assert.NotNull(await FanOutReminderAsync(org));
        await TickAsync(org);

        var done = await WaitForFanOutAsync(org);
        Assert.True(done.TotpEnabled);
        await AllRequireTotpAsync(orgId, devices);
        await Poll.UntilAsync(() => FanOutReminderAsync(org), r => r is null, "the reminder removed once every shard confirmed");
    }

    [Fact]
    public async Task A_new_activation_carries_on_a_fan_out_its_last_activation_left_unfinished()
    {
        var orgId = await _grains.NewOrgAsync();
        var devices = await DevicesWithMfaOnAsync(orgId);
        var org = _grains.GetOrg(orgId);

        FaultInjectingGrainStorage.FailNextWrite(org.GetGrainId(), StorageFault.AnswerLost);
        await FleetAssert.StorageFailedAsync(() => org.SetTotpEnabledAsync(true));

        // The activation that stored the switch goes without telling any shard; the next one (activated by the read
        // below, not by the reminder) finds the fan-out unfinished in storage.
        await org.Cast<IGrainManagementExtension>().DeactivateOnIdle();

        var done = await WaitForFanOutAsync(org);
        Assert.True(done.TotpEnabled);
        await AllRequireTotpAsync(orgId, devices);
    }

    /// <summary>Three devices of different index shards, MFA on, in an org with TOTP off.</summary>
    private async Task<IReadOnlyList<string>> DevicesWithMfaOnAsync(string orgId)
    {
        var devices = Enumerable.Range(0, 1_000).Select(i => $"dev-{i}").DistinctBy(GrainKeys.DeviceShard).Take(3).ToList();
        await Task.WhenAll(devices.Select(id => _grains.RegisterLinuxAsync(orgId, id)));
        await Task.WhenAll(devices.Select(id => _grains.GetDevice(orgId, id).EnableMfaAsync(force: false)));
        return devices;
    }

    private async Task AllRequireTotpAsync(string orgId, IReadOnlyList<string> devices) =>
        await Poll.UntilAsync(
            () => Task.WhenAll(devices.Select(id => _grains.GetDevice(orgId, id).GetAsync())),
            all => all.All(d => d!.Mfa.Required),
            "every device with MFA on took the switch",
            NoReminderTick);

    /// <summary>Until every index shard confirmed the org's policy, well before the reminder could tick on its own.</summary>
    private static Task<OrgSettings> WaitForFanOutAsync(IOrgGrain org) =>
        Poll.UntilAsync(async () => (await org.GetAsync())!, s => s.PolicyFanOut.Complete, "every index shard confirmed the policy", NoReminderTick);

    /// <summary>Delivers the fan-out reminder's tick now, as the reminder service does once a minute.</summary>
    private static Task TickAsync(IOrgGrain org)
    {
        var now = DateTime.UtcNow;
        return org.Cast<IRemindable>().ReceiveReminder(OrgGrain.FanOutReminder, new TickStatus(now, OrgGrain.FanOutReminderPeriod, now));
    }

    /// <summary>The org's fan-out reminder as the silos' reminder tables hold it; null when there is none.</summary>
    private async Task<ReminderEntry?> FanOutReminderAsync(IOrgGrain org)
    {
        foreach (var silo in fixture.Cluster.Silos.Cast<InProcessSiloHandle>())
        {
            if (await silo.SiloHost.Services.GetRequiredService<IReminderTable>().ReadRow(org.GetGrainId(), OrgGrain.FanOutReminder) is { } entry)
            {
                return entry;
            }
        }

        return null;
    }
}
