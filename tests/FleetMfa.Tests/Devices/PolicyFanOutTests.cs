using System.Reflection;
using FleetMfa.Grains;
using FleetMfa.Grains.Devices;
using FleetMfa.Tests.Infrastructure;
using Orleans.Concurrency;
using Orleans.Core.Internal;

namespace FleetMfa.Tests.Devices;

/// <summary>
/// An index shard hands the org policy down one-way, a window of devices at a time, and counts a device done when its
/// row comes back with the policy version: the switch returns without waiting for devices, a device that does not
/// acknowledge is sent the policy again, a new activation carries on, and no device's row write waits on the fan-out.
/// Device writes are held behind a gate to keep the fan-out in the middle.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PolicyFanOutTests(ClusterFixture fixture)
{
    /// <summary>More devices of one shard than the window holds, so that most wait their turn.</summary>
    private const int Devices = 40;

    /// <summary>Far below Orleans' 30 s response timeout: what a call that does not wait on the fan-out takes at most.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(5);

    /// <summary>Short of the org's one-minute reminder, so that the shard itself must have done what is awaited.</summary>
    private static readonly TimeSpan ShardAlone = TimeSpan.FromSeconds(20);

    private readonly IGrainFactory _grains = fixture.Grains;

    [Fact]
    public void The_index_shard_needs_no_interleaving_and_the_device_takes_the_policy_one_way()
    {
        Assert.Empty(typeof(IDeviceIndexShardGrain).GetMethods().Where(m => m.GetCustomAttribute<AlwaysInterleaveAttribute>() is not null).Select(m => m.Name));
        Assert.NotNull(typeof(DeviceIndexShardGrain).GetCustomAttribute<ReentrantAttribute>());
        Assert.NotNull(typeof(IDeviceGrain).GetMethod(nameof(IDeviceGrain.ApplyOrgPolicyAsync))!.GetCustomAttribute<OneWayAttribute>());
    }

    [Fact]
    public async Task The_org_switch_reaches_every_device_with_mfa_on_never_more_than_the_window_at_once()
    {
        var (orgId, shard, devices) = await ShardWithMfaOnAsync(Devices);
        var mfaOff = await MfaOffDeviceOfShardAsync(orgId, shard);
        var gate = FaultInjectingGrainStorage.HoldWrites([.. devices.Select(DeviceGrainId(orgId)), DeviceGrainId(orgId)(mfaOff)]);
        try
        {
            // Returns while every device write is held: the shards stored the policy and wait for no device.
            var switched = await _grains.GetOrg(orgId).SetTotpEnabledAsync(true).WaitAsync(Prompt);
            Assert.True(switched.TotpEnabled);
            Assert.False(switched.PolicyFanOut.Complete);

            // The first window, in device-id order; nobody else was sent the policy.
            await Poll.UntilAsync(() => gate.Held == DeviceIndexShardGrain.FanOutConcurrency, "a window of devices took the policy");
            var first = devices.Order(StringComparer.Ordinal).Take(DeviceIndexShardGrain.FanOutConcurrency).Select(DeviceGrainId(orgId));
            Assert.Equal(first.ToHashSet(), gate.HeldGrains.ToHashSet());
        }
        finally
        {
            gate.Open();
            FaultInjectingGrainStorage.StopHolding([.. devices.Select(DeviceGrainId(orgId)), DeviceGrainId(orgId)(mfaOff)]);
        }

        var done = await WaitForFanOutAsync(orgId);
        Assert.True(done.TotpEnabled);
        Assert.InRange(gate.MaxHeld, 1, DeviceIndexShardGrain.FanOutConcurrency);
        var details = await Task.WhenAll(devices.Select(id => _grains.GetDevice(orgId, id).GetAsync()));
        Assert.All(details, d => Assert.True(d!.Mfa.Required));
        var off = await _grains.GetDevice(orgId, mfaOff).GetAsync();
        Assert.False(off!.Mfa.Required);
        Assert.Equal(0, gate.Held);
    }

    [Fact]
    public async Task A_device_that_does_not_acknowledge_is_sent_the_policy_again_after_the_timeout()
    {
        var (orgId, _, devices) = await ShardWithMfaOnAsync(3);
        var deaf = devices[0];
        var deafGrain = _grains.GetDevice(orgId, deaf).GetGrainId();
        FaultInjectingGrainStorage.FailNextWrite(deafGrain);

        await _grains.GetOrg(orgId).SetTotpEnabledAsync(true);

        // The others acknowledge; the one whose write failed took nothing, and so acknowledged nothing.
        await Poll.UntilAsync(() => !FaultInjectingGrainStorage.IsArmed(deafGrain), "the device's write failed");
        await Poll.UntilAsync(
            () => Task.WhenAll(devices.Skip(1).Select(id => _grains.GetDevice(orgId, id).GetAsync())),
            all => all.All(d => d!.Mfa.Required),
            "the other devices took the policy");
        Assert.False((await _grains.GetDevice(orgId, deaf).GetAsync())!.Mfa.Required);
        Assert.False((await _grains.GetOrg(orgId).GetAsync())!.PolicyFanOut.Complete);

        fixture.Time.Advance(DeviceIndexShardGrain.PolicyAckTimeout + DeviceIndexShardGrain.FanOutTick);

        await WaitForFanOutAsync(orgId);
        Assert.True((await _grains.GetDevice(orgId, deaf).GetAsync())!.Mfa.Required);
    }

    [Fact]
    public async Task A_shard_deactivated_in_the_middle_of_a_fan_out_carries_on_from_its_rows()
    {
        var (orgId, shard, devices) = await ShardWithMfaOnAsync(Devices);
        var grains = devices.Select(DeviceGrainId(orgId)).ToList();
        var gate = FaultInjectingGrainStorage.HoldWrites(grains);
        try
        {
            await _grains.GetOrg(orgId).SetTotpEnabledAsync(true);
            await Poll.UntilAsync(() => gate.Held == DeviceIndexShardGrain.FanOutConcurrency, "a window of devices took the policy");

            // The activation that sent the first window goes; what it kept in memory goes with it.
            await _grains.GetDeviceIndexShard(orgId, shard).Cast<IGrainManagementExtension>().DeactivateOnIdle();
        }
        finally
        {
            gate.Open();
            FaultInjectingGrainStorage.StopHolding(grains);
        }

        // The first window's acknowledgements activate the shard again; it finds the rest behind in its rows.
        await WaitForFanOutAsync(orgId);
        var details = await Task.WhenAll(devices.Select(id => _grains.GetDevice(orgId, id).GetAsync()));
        Assert.All(details, d => Assert.True(d!.Mfa.Required));
        Assert.InRange(gate.MaxHeld, 1, DeviceIndexShardGrain.FanOutConcurrency);
    }

    [Fact]
    public async Task Devices_write_their_rows_and_the_shard_answers_while_its_fan_out_waits_on_devices()
    {
        var (orgId, shard, devices) = await ShardWithMfaOnAsync(Devices);
        var bystander = await MfaOffDeviceOfShardAsync(orgId, shard);
        var waiting = devices.Order(StringComparer.Ordinal).Last();
        var held = devices.Select(DeviceGrainId(orgId)).Where(g => g != DeviceGrainId(orgId)(waiting)).ToList();
        var gate = FaultInjectingGrainStorage.HoldWrites(held);
        try
        {
            await _grains.GetOrg(orgId).SetTotpEnabledAsync(true);
            await Poll.UntilAsync(() => gate.Held == DeviceIndexShardGrain.FanOutConcurrency, "a window of devices took the policy");

            // Row writes of a device outside the fan-out, of one still waiting its turn in it, and of a newcomer; reads.
            await _grains.GetDevice(orgId, bystander).SetPresenceAsync(true).WaitAsync(Prompt);
            await _grains.GetDevice(orgId, waiting).SetPresenceAsync(true).WaitAsync(Prompt);
            var newcomer = Enumerable.Range(0, 10_000).Select(i => $"new-{i}").First(id => GrainKeys.DeviceShard(id) == shard);
            await _grains.RegisterLinuxAsync(orgId, newcomer).WaitAsync(Prompt);
            var shardGrain = _grains.GetDeviceIndexShard(orgId, shard);
            var counts = await shardGrain.GetCountsAsync().WaitAsync(Prompt);
            var rows = await shardGrain.QueryAsync(new DeviceQuery(null, null, true, null, 100)).WaitAsync(Prompt);

            Assert.Equal(Devices + 2, counts.Total);
            Assert.Equal(new[] { bystander, waiting }.Order(StringComparer.Ordinal), rows.Select(r => r.DeviceId).Order(StringComparer.Ordinal));
        }
        finally
        {
            gate.Open();
            FaultInjectingGrainStorage.StopHolding(held);
        }

        await WaitForFanOutAsync(orgId);
    }

    /// <summary>A fresh org (TOTP off) with <paramref name="count"/> devices of one shard, MFA on for each.</summary>
    private async Task<(string OrgId, int Shard, IReadOnlyList<string> Devices)> ShardWithMfaOnAsync(int count)
    {
        var orgId = await _grains.NewOrgAsync();
        var shard = GrainKeys.DeviceShard("fan-0");
        var devices = Enumerable.Range(0, 10_000).Select(i => $"fan-{i}").Where(id => GrainKeys.DeviceShard(id) == shard).Take(count).ToList();
        await Task.WhenAll(devices.Select(id => _grains.RegisterLinuxAsync(orgId, id)));
        await Task.WhenAll(devices.Select(id => _grains.GetDevice(orgId, id).EnableMfaAsync(force: false)));
        return (orgId, shard, devices);
    }

    private async Task<string> MfaOffDeviceOfShardAsync(string orgId, int shard)
    {
        var deviceId = Enumerable.Range(0, 10_000).Select(i => $"off-{i}").First(id => GrainKeys.DeviceShard(id) == shard);
        await _grains.RegisterLinuxAsync(orgId, deviceId);
        return deviceId;
    }

    private Func<string, GrainId> DeviceGrainId(string orgId) => deviceId => _grains.GetDevice(orgId, deviceId).GetGrainId();

    /// <summary>Until every shard reported every device with MFA on acknowledged the policy — the shards alone, not the org's reminder.</summary>
    private Task<OrgSettings> WaitForFanOutAsync(string orgId) =>
        Poll.UntilAsync(async () => (await _grains.GetOrg(orgId).GetAsync())!, s => s.PolicyFanOut.Complete, "every device acknowledged the policy", ShardAlone);
}
