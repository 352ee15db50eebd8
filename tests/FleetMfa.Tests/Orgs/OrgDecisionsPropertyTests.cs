using System.Numerics;
using FleetMfa.Grains;
using FleetMfa.Grains.Orgs;
using FleetMfa.Tests.Infrastructure;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;

namespace FleetMfa.Tests.Orgs;

/// <summary>
/// Invariants of <see cref="OrgDecisions"/> over random sequences of commands (FsCheck), run as the grain runs them:
/// whatever happens, the policy version moves on by one exactly when the switch flips; the shards counted as done are
/// exactly those that confirmed the current version since it was switched; no switch is stored without its fan-out's
/// reminder called for; a refusal, or a decision with nothing to store, changes nothing; a limited key is never spent
/// beyond its limit; a key's last use never goes back.
/// </summary>
public sealed class OrgDecisionsPropertyTests
{
    private static readonly string[] KeyIds = ["00000000000000a0", "00000000000000a1", "00000000000000a2", "00000000000000a3"];

    /// <summary>A confirmation for the version before, the current one (twice as likely) or one not issued yet.</summary>
    private static readonly int[] VersionOffsets = [-1, 0, 1, 0];
    private static readonly int[] PeriodMinutes = [4, 5, 60, 60 * 24 * 90, 60 * 24 * 90 + 1];

    /// <summary>Moves of the ten kinds <see cref="Apply"/> knows; <see cref="Move.B"/> up to 66 (a shard out of range either side).</summary>
    public static class Steps
    {
        public static Arbitrary<Move[]> Arbitrary() => Moves.Arbitrary(kinds: 10, maxA: 3, maxB: 66);
    }

    /// <summary>Shard confirmations in any order, with repeats and shards out of range, up to 400 of them.</summary>
    public static class Confirmations
    {
        public static Arbitrary<int[]> Arbitrary() =>
            (from n in Gen.Choose(0, 400)
             from shards in Gen.Choose(-2, GrainKeys.DeviceIndexShards + 1).ArrayOf(n)
             select shards).ToArbitrary();
    }

    [Property(Arbitrary = [typeof(Steps)], MaxTest = 300)]
    public void Any_sequence_of_commands_keeps_the_org_s_invariants(Move[] steps)
    {
        var time = new FakeTimeProvider(OrgDecisionsTests.Now);
        var state = OrgDecisionsTests.Org();
        var confirmed = Enumerable.Range(0, GrainKeys.DeviceIndexShards).ToHashSet();
        var lastUses = new Dictionary<(bool, string), DateTimeOffset>();
        foreach (var step in steps)
        {
            time.Advance(TimeSpan.FromSeconds(step.B * 2));
            var now = time.GetUtcNow();
            var before = OrgDecisionsTests.Json(state);
            var (version, totp) = (state.PolicyVersion, state.TotpEnabled);
            var leavesShardsToTell = OrgDecisions.SwitchLeavesShardsToTell(state, step.Flag);
            bool changed;
            try
            {
                changed = Apply(state, step, now);
            }
            catch (FleetMfaException)
            {
                Assert.True(OrgDecisionsTests.Json(state) == before, $"{step}: a refusal changed the state");
                continue;
            }

            Assert.True(changed || OrgDecisionsTests.Json(state) == before, $"{step}: nothing to store, yet the state changed");
            Assert.True(state.PolicyVersion == version + (state.TotpEnabled != totp ? 1 : 0), $"{step}: the policy version moved without a flip, or a flip did not move it");
            Assert.True(step.Kind != 0 || !changed || leavesShardsToTell, $"{step}: a switch stored without its fan-out's reminder called for");
            if (state.PolicyVersion != version)
            {
                confirmed.Clear();
            }
            else if (step.Kind == 1 && changed)
            {
                Assert.True(confirmed.Add(step.B - 1), $"{step}: a shard confirmed twice");
            }

            var pending = OrgDecisions.PendingShards(state);
            Assert.Equal(Enumerable.Range(0, GrainKeys.DeviceIndexShards).Where(s => !confirmed.Contains(s)), pending);
            Assert.Equal(confirmed.Count, BitOperations.PopCount(state.PolicyFannedOutShards));
            Assert.True(OrgDecisions.IsFannedOut(state) == (pending.Count == 0), $"{step}: done while shards are pending, or the reverse");
            Assert.True(OrgDecisions.IsFannedOut(state) || OrgDecisions.SwitchLeavesShardsToTell(state, state.TotpEnabled), $"{step}: an unfinished fan-out would not be armed again by a retry");
            Assert.True(state.ConnectKeys.All(k => k.MaxUses is not { } max || k.Uses <= max), $"{step}: a key spent beyond its limit");
            Assert.True(state.RecentRollouts.Count <= OrgDecisions.MaxRecentRollouts && state.RecentRollouts.Distinct().Count() == state.RecentRollouts.Count, $"{step}: recent rollouts");
            foreach (var (connect, key) in state.ApiKeys.Select(k => (false, k)).Concat(state.ConnectKeys.Select(k => (true, k))))
            {
                if (key.LastUsedAt is { } used)
                {
                    Assert.True(used <= now && (!lastUses.TryGetValue((connect, key.KeyId), out var was) || used >= was), $"{step}: a key's last use went back or ahead of the clock");
                    lastUses[(connect, key.KeyId)] = used;
                }
            }
        }
    }

    [Property(Arbitrary = [typeof(Confirmations)], MaxTest = 200)]
    public void Confirmations_in_any_order_finish_the_fan_out_exactly_when_the_last_shard_confirms(int[] shards)
    {
        var state = OrgDecisionsTests.Org();
        OrgDecisions.SwitchTotp(state, true);
        var done = new HashSet<int>();
        foreach (var shard in shards)
        {
            var counts = shard is >= 0 and < GrainKeys.DeviceIndexShards && !done.Contains(shard);

            Assert.Equal(counts, OrgDecisions.ConfirmFanOut(state, shard, state.PolicyVersion));
            Assert.False(OrgDecisions.ConfirmFanOut(state, Math.Clamp(shard, 0, 63), state.PolicyVersion - 1));
            if (counts)
            {
                done.Add(shard);
            }

            Assert.Equal(done.Count == GrainKeys.DeviceIndexShards, OrgDecisions.IsFannedOut(state));
            Assert.Equal(done.Count, OrgViews.Settings("acme", state).PolicyFanOut.ShardsDone);
        }
    }

    /// <summary>One move as the grain makes it: a key's use is recorded only for a key that opens, as the grain's checks find it.</summary>
    private static bool Apply(OrgState state, Move step, DateTimeOffset now)
    {
        var keyId = KeyIds[step.A];
        byte[] hash = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
        switch (step.Kind)
        {
            case 0:
                return OrgDecisions.SwitchTotp(state, step.Flag);
            case 1:
                return OrgDecisions.ConfirmFanOut(state, step.B - 1, state.PolicyVersion + VersionOffsets[step.A]);
            // A key id is 64 random bits: the grain never mints one the org holds already.
            case 2 when state.ApiKeys.Exists(k => k.KeyId == keyId):
            case 3 when state.ConnectKeys.Exists(k => k.KeyId == keyId):
                return false;
            case 2:
                return OrgDecisions.AddApiKey(state, OrgDecisions.NewKey(keyId, hash, "ops", step.Flag ? TimeSpan.FromMinutes(step.B + 59) : null, null, now));
            case 3:
                return OrgDecisions.AddConnectKey(state, OrgDecisions.NewKey(keyId, hash, "agents", null, step.Flag ? step.B % 4 : null, now));
            case 4:
                return step.Flag ? OrgDecisions.RevokeApiKey(state, keyId) : OrgDecisions.RevokeConnectKey(state, keyId);
            case 5:
                return OrgDecisions.FindLive(state.ApiKeys, keyId, hash, now) is { } apiKey && OrgDecisions.IsUseDue(apiKey, now)
                    && OrgDecisions.RecordApiKeyUse(state, keyId, now);
            case 6:
                return OrgDecisions.FindLive(state.ConnectKeys, keyId, hash, now) is { } connectKey && OrgDecisions.IsConnectKeyUseStored(connectKey, now)
                    && OrgDecisions.RecordConnectKeyUse(state, keyId, hash, now);
            case 7:
                return OrgDecisions.AddRollout(state, step.Flag ? $"r-{step.B % 60}" : $"R {step.B}");
            case 8:
                return OrgDecisions.Update(state, new OrgSettingsPatch(step.Flag ? null : $"Acme {step.B}", TimeSpan.FromMinutes(PeriodMinutes[step.B % PeriodMinutes.Length])));
            default:
                return OrgDecisions.CreateOrRename(state, step.Flag ? "Acme" : "\n", now);
        }
    }
}
