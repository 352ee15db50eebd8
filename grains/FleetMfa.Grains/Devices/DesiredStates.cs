using FleetMfa.Protocol.Documents;
using FleetMfa.Protocol.Sealing;

namespace FleetMfa.Grains.Devices;

/// <summary>A device's desired-state document, from its state and its users' secrets sealed to its key.</summary>
public static class DesiredStates
{
    /// <summary>The bound users the device must prompt: those who completed setup, while TOTP is required.</summary>
    public static IReadOnlyList<(string UserId, BoundUser User)> Prompted(DeviceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Required && state.Decommission is null ? [.. state.Users.Where(u => u.Value.TotpStatus == TotpStatus.Enrolled).Select(u => (u.Key, u.Value))] : [];
    }

    /// <summary>
    /// The complete snapshot of <see cref="DeviceState.DesiredVersion"/>, with each prompted user's secret as the user
    /// grain sealed it to this device's key. A prompted user without a sealed secret of its current version (the device's
    /// agent enrolled after the binding and the user has not sealed to its key yet) is left out until it has one.
    /// </summary>
    public static DesiredState Build(string orgId, string deviceId, DeviceState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        var users = new List<DesiredUser>();
        foreach (var (userId, user) in Prompted(state))
        {
            if (user.Secret is { } s && s.SecretVersion == user.SecretVersion)
            {
                users.Add(new DesiredUser(userId, user.LocalUsername, s.SecretVersion, new SealedSecret(s.EphemeralKey, s.Nonce, s.Ciphertext)));
            }
        }

        var totp = (state.Policy ?? throw new InvalidOperationException("A registered device always has an org policy.")).Totp;
        var settings = state.Settings;
        return new DesiredState(
            DesiredState.CurrentSchema,
            orgId,
            deviceId,
            state.DesiredVersion,
            state.Required && state.Decommission is null,
            new TotpSettings(totp.Digits, totp.PeriodSeconds, totp.Algorithm, totp.DriftSteps),
            new OsPolicy(
                new LinuxPolicy(settings.Linux.SshPasswordLogin, settings.Linux.SshPublicKeyAuth),
                new WindowsPolicy(settings.Windows.DisableAutomaticRestartSignOn, settings.Windows.SafeModeBlockNonAdmins),
                new MacPolicy(LoginWindowOnly: true)),
            users,
            now,
            Decommission: state.Decommission is not null);
    }
}
