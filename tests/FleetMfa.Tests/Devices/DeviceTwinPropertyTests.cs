using FleetMfa.Grains;
using FleetMfa.Grains.Devices;
using FleetMfa.Protocol.Documents;
using FleetMfa.Tests.Infrastructure;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace FleetMfa.Tests.Devices;

/// <summary>
/// Invariants of <see cref="DeviceTwin"/> over random sequences of commands and agent reports (FsCheck): whatever
/// happens, the desired version never goes back, a decision that stores nothing changed nothing, a refusal changed
/// nothing, every change to what the device must enforce is published, and the device is never <c>enabled</c> unless
/// its agent applied the version that made TOTP required and nothing says the policy is not in effect.
/// </summary>
public sealed class DeviceTwinPropertyTests
{
    private static readonly TotpParameters Totp = new(6, 30, "SHA1", 1);

    public static class Steps
    {
        public static Arbitrary<Move[]> Arbitrary() => Moves.Arbitrary(kinds: 10, maxA: 3, maxB: 6);
    }

    [Property(Arbitrary = [typeof(Steps)], MaxTest = 300)]
    public void Any_sequence_of_commands_and_reports_keeps_the_twin_s_invariants(Move[] steps)
    {
        var state = DeviceTwinTests.Device();
        var policyVersion = 2L;
        foreach (var step in steps)
        {
            var before = DeviceTwinTests.Json(state);
            var (desired, requiredBefore) = (state.DesiredVersion, state.Required);
            IReadOnlyList<DeviceEffect>? effects;
            try
            {
                effects = Apply(state, step, ref policyVersion);
            }
            catch (FleetMfaException)
            {
                Assert.True(DeviceTwinTests.Json(state) == before, $"{step}: a refusal changed the state");
                continue;
            }

            Assert.True(state.DesiredVersion >= desired, $"{step}: the desired version went back");
            Assert.True(effects is not null || DeviceTwinTests.Json(state) == before, $"{step}: nothing to store, yet the state changed");
            Assert.True(state.DesiredVersion == desired || effects!.Contains(DeviceEffect.PublishDesired), $"{step}: a new desired version is not published");
            Assert.True(state.Required == requiredBefore || state.MfaChangeVersion == state.DesiredVersion, $"{step}: required flipped without moving the version the status waits for");
            Assert.True(
                state.Status != MfaStatus.Enabled || (state.Required && state.AppliedVersion >= state.MfaChangeVersion && state.EnforcementProblem is null),
                $"{step}: enabled without the agent enforcing it");
            Assert.True(IndexedBeforeRolloutIsTold(effects), $"{step}: a rollout is told before the index");
            Assert.True(state.AppliedVersion <= state.DesiredVersion, $"{step}: the device is ahead of the grain after a report");
        }
    }

    /// <summary>A rollout never hears of a version before the index row that shows it (a rollout never asks again once told).</summary>
    private static bool IndexedBeforeRolloutIsTold(IReadOnlyList<DeviceEffect>? effects)
    {
        var list = effects?.ToList() ?? [];
        var told = list.FindIndex(e => e.Kind == DeviceEffectKind.NotifyRollout);
        return told < 0 || (list.IndexOf(DeviceEffect.SyncIndex) is >= 0 and var indexed && indexed < told);
    }

    private static IReadOnlyList<DeviceEffect>? Apply(DeviceState state, Move step, ref long policyVersion)
    {
        string[] users = ["alice", "bob", "carol", "dave"];
        switch (step.Kind)
        {
            case 0:
                return DeviceTwin.EnableMfa(state, step.Flag, new OrgPolicy(true, Totp, policyVersion), step.Flag ? new RolloutTicket($"r-{step.B}", 0, RolloutAction.EnableMfa, false) : null);
            case 1:
                return DeviceTwin.DisableMfa(state, step.Flag ? new RolloutTicket($"r-{step.B}", 0, RolloutAction.DisableMfa, false) : null);
            case 2:
                policyVersion += step.Flag ? 1 : 0;
                return DeviceTwin.TakePolicy(state, new OrgPolicy(step.A != 0, Totp with { Digits = 6 + (step.B % 3) }, policyVersion - (step.B == 6 ? 1 : 0)));
            case 3:
                return DeviceTwin.UpdateSettings(state, new DeviceSettingsPatch(step.Flag, step.A % 2 == 0, step.B % 2 == 0, null));
            case 4:
                return UserBindingTwin.Bind(state, users[step.A], $"local{step.B}", new UserTotpUpdate(step.B, new UserTotpState(users[step.A], (TotpStatus)(step.B % 3), step.B), null));
            case 5:
                return state.Users.ContainsKey(users[step.A]) ? UserBindingTwin.Unbind(state, users[step.A]) : null;
            case 6:
                return UserBindingTwin.TakeUserTotp(state, users[step.A], new UserTotpUpdate(step.B, new UserTotpState(users[step.A], (TotpStatus)(step.B % 3), step.B), null));
            case 7:
                // The agent applies a version it was given or, now and then, one an earlier incarnation of the control
                // plane gave it (ahead of the grain's).
                return DeviceTwin.TakeReport(
                    state,
                    DeviceTwinTests.Report(step.Flag && step.A == 0 ? state.DesiredVersion + 1 + step.B : Math.Max(0, state.DesiredVersion - step.B)),
                    DateTimeOffset.UnixEpoch);
            case 8:
                // The agent fails the current version.
                return state.AppliedVersion < state.DesiredVersion
                    ? DeviceTwin.TakeReport(state, DeviceTwinTests.Report(state.AppliedVersion, state.DesiredVersion, "agent-error"), DateTimeOffset.UnixEpoch)
                    : null;
            default:
                // The agent's policy check: not in effect, repaired or fine.
                PolicyEnforcement? enforcement = (step.B % 3) switch
                {
                    0 => new PolicyEnforcement(PolicyEnforcementStatus.NotEffective, "policy-drift-unrepairable: x", DateTimeOffset.UnixEpoch),
                    1 => new PolicyEnforcement(PolicyEnforcementStatus.Repaired, "policy-drift-repaired: x", DateTimeOffset.UnixEpoch),
                    _ => null,
                };
                return DeviceTwin.TakeReport(state, DeviceTwinTests.Report(state.AppliedVersion) with { Enforcement = enforcement }, DateTimeOffset.UnixEpoch);
        }
    }
}
