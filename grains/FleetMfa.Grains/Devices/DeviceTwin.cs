using FleetMfa.Grains.Rules;
using FleetMfa.Protocol.Documents;
using FleetMfa.Protocol.Sealing;

namespace FleetMfa.Grains.Devices;

/// <summary>
/// The device twin's decisions, free of Orleans. Each takes a device's state — a copy, which the grain stores only
/// when the decision returns effects — and what the grain gathered for it (the org policy, a user's enrollment, a
/// report, the time), changes the state and returns the effects to run once it is stored; <c>null</c> when nothing
/// changed. A refusal throws before anything is decided. Nothing here waits, calls another grain or writes.
/// <para>
/// The rules: every change to what the device must enforce (org switch, device switch, OS settings, bound users and
/// their enrollment) moves <see cref="DeviceState.DesiredVersion"/> on and publishes it; the status follows the
/// version the agent has applied; a rollout waiting for a version is told once it settles. Bound users are
/// <see cref="UserBindingTwin"/>'s, the device's end <see cref="DecommissionTwin"/>'s: the same shape, on the same state.
/// </para>
/// </summary>
public static class DeviceTwin
{
    public static IReadOnlyList<DeviceEffect> Register(DeviceState state, DeviceRegistration registration, OrgPolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(registration);
        var hostname = InputRules.RequireHostname(registration.Hostname);
        var osVersion = InputRules.RequireText(registration.OsVersion, "osVersion", 64);
        var facts = registration.Facts is null ? null : DeviceFactsRules.Require(registration.Facts);
        DecommissionTwin.EnsureInService(state);
        if (state.Registered && state.Os != registration.Os)
        {
            throw new FleetMfaException(ErrorCodes.Conflict, $"The device is registered as {state.Os}; a device's OS cannot change.");
        }

        if (!state.Registered)
        {
            state.Registered = true;
            state.Os = registration.Os;
            state.CreatedAt = now;
            state.Policy = policy;
        }

        state.Hostname = hostname;
        state.OsVersion = osVersion;
        state.Facts = facts ?? state.Facts;
        return [DeviceEffect.SyncIndex];
    }

    public static IReadOnlyList<DeviceEffect> EnrollAgent(DeviceState state, AgentEnrollment enrollment, OrgPolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(enrollment);
        DecommissionTwin.EnsureInService(state);
        if (state.HasAgent)
        {
            throw new FleetMfaException(ErrorCodes.Conflict, "The device already has an agent.");
        }

        try
        {
            SecretSealer.ImportP256PublicKey(enrollment.PublicKey).Dispose();
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            throw FleetMfaException.Validation("publicKey must be a P-256 SubjectPublicKeyInfo, base64.");
        }

        if (enrollment.MqttPasswordHash is { Length: not 32 } || (enrollment.MqttPasswordHash is null && enrollment.Certificate is null))
        {
            throw FleetMfaException.Validation("An agent needs a broker credential: a client certificate, or an MQTT password hash (a SHA-256 digest).");
        }

        Register(state, new DeviceRegistration(enrollment.Hostname, enrollment.Os, enrollment.OsVersion, null), policy, now);
        state.PublicKey = enrollment.PublicKey;
        state.MqttPasswordHash = enrollment.MqttPasswordHash;
        state.Certificate = enrollment.Certificate;
        state.PreviousCertificate = null;

        // Users bound before the agent came hold no secret for this device yet: each seals its own to the new key.
        return [.. Bump(state, state.Required), .. state.Users.Keys.Order(StringComparer.Ordinal).Select(DeviceEffect.ShareKeyWithUser)];
    }

    public static IReadOnlyList<DeviceEffect>? UpdateSettings(DeviceState state, DeviceSettingsPatch patch)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(patch);
        DecommissionTwin.EnsureInService(state);
        var current = state.Settings;
        var updated = new DeviceSettings(
            new LinuxSettings(patch.SshPasswordLogin ?? current.Linux.SshPasswordLogin, patch.SshPublicKeyAuth ?? current.Linux.SshPublicKeyAuth),
            new WindowsSettings(
                patch.DisableAutomaticRestartSignOn ?? current.Windows.DisableAutomaticRestartSignOn,
                patch.SafeModeBlockNonAdmins ?? current.Windows.SafeModeBlockNonAdmins));
        if (updated == current)
        {
            return null;
        }

        if (state.MfaDesired && state.Os == DeviceOs.Linux)
        {
            MfaRules.EnsureLinuxSettings(updated.Linux);
        }

        state.Settings = updated;
        return Bump(state, state.Required);
    }

    /// <summary>The device switch on (or a refusal with the OS rule's code); a rollout that asks waits in the same write.</summary>
    public static IReadOnlyList<DeviceEffect>? EnableMfa(DeviceState state, bool force, OrgPolicy policy, RolloutTicket? rollout = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(policy);
        DecommissionTwin.EnsureInService(state);
        MfaRules.EnsureCanRequire(state.Os, state.OsVersion, state.Settings, state.Facts, force);
        if (state.MfaDesired)
        {
            return null;
        }

        var requiredBefore = state.Required;
        state.MfaDesired = true;
        if (state.Policy is null || policy.Version > state.Policy.Version)
        {
            state.Policy = policy;
        }

        var effects = Bump(state, requiredBefore);
        Watch(state, rollout, state.DesiredVersion);
        return effects;
    }

    public static IReadOnlyList<DeviceEffect>? DisableMfa(DeviceState state, RolloutTicket? rollout = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        DecommissionTwin.EnsureInService(state);
        if (!state.MfaDesired)
        {
            return null;
        }

        var requiredBefore = state.Required;
        state.MfaDesired = false;
        var effects = Bump(state, requiredBefore);
        Watch(state, rollout, state.DesiredVersion);
        return effects;
    }

    /// <summary>
    /// Where the device stands against <paramref name="version"/> for <paramref name="ticket"/>'s rollout: final when
    /// settled, else pending — and the rollout is remembered as the one to tell, unless another waits for a version at
    /// least as new (then <paramref name="effects"/> is null: nothing to store).
    /// </summary>
    public static RolloutStep Watch(DeviceState state, RolloutTicket ticket, long version, out IReadOnlyList<DeviceEffect>? effects)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(ticket);
        effects = null;
        if (SettledStep(state, version) is { } settled)
        {
            return settled;
        }

        if (Watch(state, ticket, version))
        {
            effects = [];
        }

        return new RolloutStep(RolloutOutcome.Pending, version);
    }

    /// <summary>Whether the agent has acknowledged <paramref name="version"/> (or cannot): <c>null</c> while that is still open.</summary>
    public static RolloutStep? SettledStep(DeviceState state, long version)
    {
        ArgumentNullException.ThrowIfNull(state);

        // A version at or below an adopted one was issued again after it, with what this grain holds: that one counts.
        return state.Decommission is not null ? new RolloutStep(RolloutOutcome.Failed, version, ErrorCodes.DeviceDecommissioned, "The device is decommissioned.")
            : state.AppliedVersion >= Math.Max(version, state.AdoptedVersion + 1) ? new RolloutStep(RolloutOutcome.Succeeded, version)
            : !state.HasAgent ? new RolloutStep(RolloutOutcome.Failed, version, ErrorCodes.NoAgent, "The device has no enrolled agent; it gets the change when one enrolls.")

            // A failure reason always refers to the current desired version, which covers the awaited one.
            : state.FailureReason is { } reason ? new RolloutStep(RolloutOutcome.Failed, version, ErrorCodes.AgentError, reason)
            : null;
    }

    /// <summary>Takes a newer org policy (older or equal versions change nothing).</summary>
    public static IReadOnlyList<DeviceEffect>? TakePolicy(DeviceState state, OrgPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(policy);
        if (!state.Registered || state.Decommission is not null || (state.Policy is { } known && policy.Version <= known.Version))
        {
            return null;
        }

        var requiredBefore = state.Required;
        var parametersChanged = state.Policy?.Totp != policy.Totp;
        state.Policy = policy;
        return state.Required != requiredBefore || (state.MfaDesired && parametersChanged) ? Bump(state, requiredBefore) : [DeviceEffect.SyncIndex];
    }

    /// <summary>
    /// Takes a report the agent sent (<see cref="DeviceReports.Parse"/> passed it): the applied version, the failure of
    /// the current version, what the agent's policy check found, the device's facts; tells a waiting rollout once its
    /// version settled. An applied version above the desired one is adopted (up to
    /// <see cref="DeviceReports.MaxAdoptedVersion"/>; one beyond it is not taken): the desired version continues from the
    /// one after it and is published. Null when nothing that is stored changed.
    /// </summary>
    public static IReadOnlyList<DeviceEffect>? TakeReport(DeviceState state, ReportedState report, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(report);
        var changed = false;
        var publish = false;
        if (report.AppliedVersion > DeviceReports.MaxAdoptedVersion && report.AppliedVersion > state.DesiredVersion)
        {
            // Beyond any version this control plane could have issued: the applied version is not taken (the rest of the
            // report is), and nothing is published.
        }
        else if (report.AppliedVersion > state.DesiredVersion)
        {
            // Ahead of every version this grain issued: only this control plane signs desired states, so an earlier
            // incarnation of it did (restored from an older backup). Dropping the device's reports as "never issued"
            // would wedge it for good; instead the grain goes on from the version after it, and publishes what the
            // device must enforce now. What the device holds is unknown here: the status waits for the new version.
            state.AdoptedVersion = report.AppliedVersion;
            state.AppliedVersion = report.AppliedVersion;
            state.DesiredVersion = report.AppliedVersion + 1;
            state.MfaChangeVersion = state.DesiredVersion;
            state.FailureReason = null;
            changed = publish = true;
        }
        else if (report.AppliedVersion != state.AppliedVersion)
        {
            state.AppliedVersion = report.AppliedVersion;
            changed = true;
        }

        var reason = report.FailedVersion == state.DesiredVersion ? report.Reason ?? "the agent could not apply the desired state" : null;
        var problem = report.Enforcement is { Status: PolicyEnforcementStatus.NotEffective } p ? p.Detail : null;
        var repair = report.Enforcement is { Status: PolicyEnforcementStatus.Repaired } r ? r.Detail : null;
        if ((reason, problem, repair) != (state.FailureReason, state.EnforcementProblem, state.EnforcementRepair))
        {
            (state.FailureReason, state.EnforcementProblem, state.EnforcementRepair) = (reason, problem, repair);
            changed = true;
        }

        var facts = new DeviceFacts(report.Device.SshServerInstalled, [.. report.Device.AuthPlugins], report.Device.DisplayHeightPixels, report.Device.AgentVersion);
        if (!DeviceFactsRules.Same(facts, state.Facts) || report.Device.OsVersion != state.OsVersion)
        {
            state.Facts = facts;
            state.OsVersion = report.Device.OsVersion;
            changed = true;
        }

        var effects = new List<DeviceEffect>();
        if (state.RolloutWatch is { } watch && SettledStep(state, watch.Version) is { } settled)
        {
            state.RolloutWatch = null;
            effects.Add(DeviceEffect.NotifyRollout(watch, settled));
            changed = true;
        }

        if (!changed)
        {
            return null;
        }

        // The index before the rollout: once told, a rollout never asks again, so a crash in between must leave the
        // rollout waiting (its check re-indexes the device), never the index stale.
        state.LastReportAt = report.At;
        state.LastSeen = now;
        return publish ? [DeviceEffect.SyncIndex, DeviceEffect.PublishDesired, .. effects] : [DeviceEffect.SyncIndex, .. effects];
    }

    /// <summary>A new desired version: published, indexed, and — when "TOTP required" flipped — the version the status waits for.</summary>
    internal static IReadOnlyList<DeviceEffect> Bump(DeviceState state, bool requiredBefore)
    {
        state.DesiredVersion++;
        state.FailureReason = null;
        if (state.Required != requiredBefore)
        {
            state.MfaChangeVersion = state.DesiredVersion;
        }

        return [DeviceEffect.SyncIndex, DeviceEffect.PublishDesired];
    }

    /// <summary>Remembers <paramref name="ticket"/>'s rollout for <paramref name="version"/> unless another waits for one at least as new; true when it did.</summary>
    private static bool Watch(DeviceState state, RolloutTicket? ticket, long version)
    {
        if (ticket is null || SettledStep(state, version) is not null ||
            (state.RolloutWatch is { } other && other.RolloutId != ticket.RolloutId && other.Version >= version))
        {
            return false;
        }

        var watch = new RolloutWatch(ticket.RolloutId, ticket.Shard, version);
        if (watch == state.RolloutWatch)
        {
            return false;
        }

        state.RolloutWatch = watch;
        return true;
    }
}
