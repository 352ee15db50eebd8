using FleetMfa.Protocol.Sealing;

namespace FleetMfa.Grains.Devices;

/// <summary>
/// A device's bound users, free of Orleans, in the shape of <see cref="DeviceTwin"/>: binding a local account to a
/// user, unbinding, and taking each user's TOTP update from the user's outbox (the newest revision wins; only an
/// enrolled user with a secret sealed to this device is prompted). A change to what the device enforces is a new
/// desired version.
/// </summary>
public static class UserBindingTwin
{
    /// <summary>
    /// Binds <paramref name="userId"/> as <paramref name="localUsername"/> (the user grain has recorded the device and
    /// answered its enrollment, <paramref name="update"/>); null when the binding was already exactly this.
    /// </summary>
    public static IReadOnlyList<DeviceEffect>? Bind(DeviceState state, string userId, string localUsername, UserTotpUpdate update)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(update);
        DecommissionTwin.EnsureInService(state);
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
        return changed || enforced ? DeviceTwin.Bump(state, state.Required) : taken ? [] : null;
    }

    public static IReadOnlyList<DeviceEffect> Unbind(DeviceState state, string userId)
    {
        ArgumentNullException.ThrowIfNull(state);
        DecommissionTwin.EnsureInService(state);
        if (!state.Users.Remove(userId))
        {
            throw FleetMfaException.NotFound($"User '{userId}' is not bound to the device.");
        }

        return [.. DeviceTwin.Bump(state, state.Required), DeviceEffect.ForgetUserBinding(userId)];
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

        return enforced ? DeviceTwin.Bump(state, state.Required) : [];
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
}
