using FleetMfa.Grains.Rules;

namespace FleetMfa.Grains.Devices;

/// <summary>
/// What a device shows — to the operator (detail, bound users) and to its org's index (its row) — from its stored state
/// and what the grain knows live only (presence, "last seen", the secret versions its agent reported holding). No
/// decisions: <see cref="DeviceTwin"/> makes those.
/// </summary>
public static class DeviceViews
{
    /// <summary>How stale the index's "last seen" of a device may get.</summary>
    public static readonly TimeSpan LastSeenGranularity = TimeSpan.FromMinutes(10);

    public static DeviceDetail Detail(string orgId, string deviceId, DeviceState state, bool online, DateTimeOffset? lastSeen)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new(
            orgId,
            deviceId,
            state.Hostname,
            state.Os,
            state.OsVersion,
            state.Facts,
            state.Settings,
            new MfaInfo(
                state.MfaDesired,
                state.Required,
                state.Status,
                state.DesiredVersion,
                state.AppliedVersion,
                state.Reason,
                MfaRules.Warnings(state.Os, state.OsVersion, state.Facts)),
            online,
            lastSeen,
            state.CreatedAt,
            state.Decommission is { } decommission ? Decommission(decommission) : null);
    }

    public static DecommissionInfo Decommission(DeviceDecommission decommission)
    {
        ArgumentNullException.ThrowIfNull(decommission);
        return new(decommission.At, decommission.WipeAcknowledged);
    }

    /// <summary>
    /// A bound user on the device: prompted or not, and — when prompted — <c>active</c> once the agent reported holding
    /// the user's current secret version (<paramref name="heldSecretVersion"/>), else <c>pending</c>.
    /// </summary>
    public static DeviceUserStatus User(DeviceState state, string userId, BoundUser bound, int? heldSecretVersion)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(bound);
        var onDevice = !state.Required || bound.TotpStatus != TotpStatus.Enrolled ? OnDeviceStatus.NotRequired
            : heldSecretVersion == bound.SecretVersion ? OnDeviceStatus.Active
            : OnDeviceStatus.Pending;
        return new DeviceUserStatus(userId, bound.Username, bound.LocalUsername, bound.TotpStatus, onDevice);
    }

    public static DeviceRow Row(string deviceId, DeviceState state, bool online, DateTimeOffset? lastSeen)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new(deviceId, state.Hostname, state.Os, state.MfaDesired, state.Status, online, lastSeen, state.Reason, state.Decommission is not null, state.Policy?.Version ?? 0);
    }

    /// <summary>
    /// Whether the index must hear of <paramref name="row"/>. "Last seen" alone moves with every report; it is refreshed
    /// at most every <see cref="LastSeenGranularity"/> so that heartbeats cost no index write.
    /// </summary>
    public static bool NeedsIndexing(DeviceRow row, DeviceRow? indexed)
    {
        ArgumentNullException.ThrowIfNull(row);
        return indexed is null ||
            row with { LastSeen = indexed.LastSeen } != indexed ||
            (row.LastSeen, indexed.LastSeen) switch
            {
                (null, null) => false,
                ({ } now, { } then) => now - then >= LastSeenGranularity,
                _ => true,
            };
    }
}
