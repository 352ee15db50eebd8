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
/// version the agent has applied; a rollout waiting for a version is told once it settles.
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
        EnsureInService(state);
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
        EnsureInService(state);
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

        if (enrollment.MqttPasswordHash is not { Length: 32 })
        {
            throw FleetMfaException.Validation("The MQTT password hash must be a SHA-256 digest.");
        }

        Register(state, new DeviceRegistration(enrollment.Hostname, enrollment.Os, enrollment.OsVersion, null), policy, now);
        state.PublicKey = enrollment.PublicKey;
        state.MqttPasswordHash = enrollment.MqttPasswordHash;

        // Users bound before the agent came hold no secret for this device yet: each seals its own to the new key.
        return [.. Bump(state, state.Required), .. state.Users.Keys.Order(StringComparer.Ordinal).Select(DeviceEffect.ShareKeyWithUser)];
    }

    public static IReadOnlyList<DeviceEffect>? UpdateSettings(DeviceState state, DeviceSettingsPatch patch)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(patch);
        EnsureInService(state);
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
        EnsureInService(state);
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
        EnsureInService(state);
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
    /// Binds <paramref name="userId"/> as <paramref name="localUsername"/> (the user grain has recorded the device and
    /// answered its enrollment, <paramref name="update"/>); null when the binding was already exactly this.
    /// </summary>
    public static IReadOnlyList<DeviceEffect>? Bind(DeviceState state, string userId, string localUsername, UserTotpUpdate update)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(update);
        EnsureInService(state);
        if (state.Users.Any(u => u.Value.LocalUsername == localUsername && u.Key != userId))
        {
            throw new FleetMfaException(ErrorCodes.Conflict, $"Local account '{localUsername}' is already bound to another user on this device.");
        }

        var isNew = !state.Users.TryGetValue(userId, out var bound);
        bound ??= new BoundUser();
        var changed = isNew || bound.LocalUsername != localUsername;
        bound.LocalUsername = localUsername;
        state.Users[userId] = bound;
        var taken = Take(bound, update, isNew, out var enforced);

        // A name or a setup merely started changes no desired state, but is stored all the same.
        return changed || enforced ? Bump(state, state.Required) : taken ? [] : null;
    }

    public static IReadOnlyList<DeviceEffect> Unbind(DeviceState state, string userId)
    {
        ArgumentNullException.ThrowIfNull(state);
        EnsureInService(state);
        if (!state.Users.Remove(userId))
        {
            throw FleetMfaException.NotFound($"User '{userId}' is not bound to the device.");
        }

        return [.. Bump(state, state.Required), DeviceEffect.ForgetUserBinding(userId)];
    }

    /// <summary>
    /// A bound user's update (from the user's outbox): taken when newer than the one the binding holds; null when the
    /// device need not store anything (stale, not bound, decommissioned — the user is acknowledged all the same).
    /// </summary>
    public static IReadOnlyList<DeviceEffect>? TakeUserTotp(DeviceState state, string userId, UserTotpUpdate update)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(update);
        if (state.Decommission is not null || !state.Users.TryGetValue(userId, out var bound) || !Take(bound, update, fresh: false, out var enforced))
        {
            return null;
        }

        return enforced ? Bump(state, state.Required) : [];
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

    /// <summary>
    /// Decommissions the device: one last desired version (no users, MFA off, <c>decommission</c>) tells its agent to
    /// wipe, the index row is flagged, a rollout waiting for it is told it failed, and the reminder that revokes it after
    /// the grace period is armed; a device without an agent is revoked at once. Null when it is decommissioned already
    /// (the record stands as it is).
    /// </summary>
    public static IReadOnlyList<DeviceEffect>? Decommission(DeviceState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.Registered)
        {
            throw FleetMfaException.NotFound("The device does not exist.");
        }

        if (state.Decommission is not null)
        {
            return null;
        }

        state.DesiredVersion++;
        state.FailureReason = null;
        state.Decommission = new DeviceDecommission(now, state.DesiredVersion, false, null);
        var effects = new List<DeviceEffect> { DeviceEffect.SyncIndex };
        if (state.RolloutWatch is { } watch)
        {
            state.RolloutWatch = null;
            effects.Add(DeviceEffect.NotifyRollout(watch, SettledStep(state, watch.Version)!));
        }

        if (!state.HasAgent)
        {
            return [.. effects, .. Revoke(state, now)];
        }

        return [.. effects, DeviceEffect.PublishDesired, DeviceEffect.ArmDecommissionReminder];
    }

    /// <summary>
    /// A report from a decommissioned device: only its wipe acknowledgement of the decommission version counts, and it
    /// revokes the device at once. Everything else (and anything after the revocation) is ignored: null.
    /// </summary>
    public static IReadOnlyList<DeviceEffect>? TakeWipeReport(DeviceState state, ReportedState report, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(report);
        if (state.Decommission is not { RevokedAt: null } decommission || !report.Wiped || report.AppliedVersion < decommission.Version)
        {
            return null;
        }

        state.Decommission = decommission with { WipeAcknowledged = true };
        return Revoke(state, now);
    }

    /// <summary>Revokes a decommissioned device whose grace period is over without a wipe acknowledgement; null before that, or when revoked already.</summary>
    public static IReadOnlyList<DeviceEffect>? RevokeAfterGrace(DeviceState state, DateTimeOffset now, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Decommission is { RevokedAt: null } decommission && now >= decommission.At + grace ? Revoke(state, now) : null;
    }

    /// <summary>Whether a decommissioned device's retention is over: the grain then removes its index row and its state.</summary>
    public static bool IsExpired(DeviceState state, DateTimeOffset now, TimeSpan retention)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Decommission is { } decommission && now >= decommission.At + retention;
    }

    /// <summary>The MQTT credential goes for good, the broker session ends, retained messages are cleared and the users are unbound.</summary>
    private static IReadOnlyList<DeviceEffect> Revoke(DeviceState state, DateTimeOffset now)
    {
        state.Decommission = state.Decommission! with { RevokedAt = now };
        state.MqttPasswordHash = null;
        var users = state.Users.Keys.Order(StringComparer.Ordinal).ToList();
        state.Users.Clear();
        return [DeviceEffect.RevokeAccess, DeviceEffect.ClearRetained, DeviceEffect.SyncIndex, .. users.Select(DeviceEffect.ForgetUserBinding), DeviceEffect.ArmDecommissionReminder];
    }

    /// <summary>Refuses (<c>device-decommissioned</c>) any change to a decommissioned device.</summary>
    public static void EnsureInService(DeviceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Decommission is not null)
        {
            throw new FleetMfaException(ErrorCodes.DeviceDecommissioned, "The device is decommissioned; its id cannot be used again until its record is gone.");
        }
    }

    /// <summary>
    /// Takes <paramref name="update"/> into <paramref name="bound"/> when it is newer than what the binding holds, or the
    /// binding is <paramref name="fresh"/> (false
    /// otherwise: a stale update never overwrites a newer one). <paramref name="enforced"/>: whether it changes what the
    /// device must enforce — only an enrolled user is prompted, with one secret version, and only with a secret sealed
    /// to this device. A sealed secret is kept only for an enrolled user, and only of the version the update names.
    /// </summary>
    private static bool Take(BoundUser bound, UserTotpUpdate update, bool fresh, out bool enforced)
    {
        enforced = false;
        if (!fresh && update.Revision <= bound.Revision)
        {
            return false;
        }

        var totp = update.State;
        var secret = totp.Status == TotpStatus.Enrolled && update.Secret is { } s && s.SecretVersion == totp.SecretVersion ? s : null;
        enforced = Prompted(bound.TotpStatus, bound.SecretVersion, bound.Secret) != Prompted(totp.Status, totp.SecretVersion, secret);
        bound.Revision = update.Revision;
        bound.Username = totp.Username;
        bound.TotpStatus = totp.Status;
        bound.SecretVersion = totp.SecretVersion;
        bound.Secret = secret;
        return true;

        static (int Version, bool Sealed)? Prompted(TotpStatus status, int secretVersion, SealedUserSecret? secret) =>
            status == TotpStatus.Enrolled ? (secretVersion, secret is not null) : null;
    }

    /// <summary>A new desired version: published, indexed, and — when "TOTP required" flipped — the version the status waits for.</summary>
    private static IReadOnlyList<DeviceEffect> Bump(DeviceState state, bool requiredBefore)
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
