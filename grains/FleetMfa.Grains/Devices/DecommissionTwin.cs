using FleetMfa.Protocol.Documents;

namespace FleetMfa.Grains.Devices;

/// <summary>
/// A device's end, free of Orleans, in the shape of <see cref="DeviceTwin"/>: the decommission (a last desired version
/// that tells the agent to wipe), the wipe acknowledgement or the grace period that revokes the device for good, the
/// retention after which its record goes, and the refusal of any change meanwhile.
/// </summary>
public static class DecommissionTwin
{
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
            effects.Add(DeviceEffect.NotifyRollout(watch, DeviceTwin.SettledStep(state, watch.Version)!));
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

    /// <summary>The MQTT credentials (password and certificates) go for good, the broker session ends, retained messages are cleared and the users are unbound.</summary>
    private static IReadOnlyList<DeviceEffect> Revoke(DeviceState state, DateTimeOffset now)
    {
        state.Decommission = state.Decommission! with { RevokedAt = now };
        DeviceCertificate[] certificates = [.. new[] { state.Certificate, state.PreviousCertificate }.OfType<DeviceCertificate>()];
        state.MqttPasswordHash = null;
        state.Certificate = null;
        state.PreviousCertificate = null;
        var users = state.Users.Keys.Order(StringComparer.Ordinal).ToList();
        state.Users.Clear();
        return [DeviceEffect.RevokeAccess(certificates), DeviceEffect.ClearRetained, DeviceEffect.SyncIndex, .. users.Select(DeviceEffect.ForgetUserBinding), DeviceEffect.ArmDecommissionReminder];
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
}
