using FleetMfa.Grains.Security;

namespace FleetMfa.Grains.Devices;

/// <summary>
/// The device's broker credentials, decided on its state: which password and which client certificates the broker may
/// take for it, and a certificate's renewal. Enrollment sets them (<see cref="DeviceTwin.EnrollAgent"/>), a revocation
/// clears them (<see cref="DecommissionTwin"/>); nothing else changes them.
/// </summary>
public static class DeviceCredentials
{
    /// <summary>Whether <paramref name="passwordHash"/> (SHA-256) is the device's MQTT password.</summary>
    public static bool AcceptsPassword(DeviceState state, byte[]? passwordHash)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.MqttPasswordHash is { } expected && passwordHash is not null && ApiKeys.HashesEqual(expected, passwordHash);
    }

    /// <summary>
    /// Whether the certificate with <paramref name="serial"/> is one the device may connect with: its current one, or
    /// the one its last renewal replaced while that is unexpired at <paramref name="now"/>. None once revoked.
    /// </summary>
    public static bool AcceptsCertificate(DeviceState state, string? serial, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        return !string.IsNullOrEmpty(serial) &&
            (state.Certificate?.Is(serial) == true || (state.PreviousCertificate is { } previous && previous.Is(serial) && now < previous.NotAfter));
    }

    /// <summary>
    /// Whether a renewal for <paramref name="publicKey"/> (SubjectPublicKeyInfo) may be issued: the device is in service
    /// and its current certificate is for that key. Checked before the CA issues, and again by <see cref="Renew"/>.
    /// </summary>
    public static bool MayRenew(DeviceState state, ReadOnlySpan<byte> publicKey)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Decommission is null && state.Certificate is { } current && current.HasKey(publicKey);
    }

    /// <summary>
    /// Takes <paramref name="renewed"/> as the device's certificate; the one it replaces stays accepted until it
    /// expires. Refused (<c>unauthorized</c>, nothing changed) unless <see cref="MayRenew"/> holds for its key.
    /// </summary>
    public static IReadOnlyList<DeviceEffect> Renew(DeviceState state, DeviceCertificate renewed)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(renewed);
        if (!MayRenew(state, renewed.PublicKey))
        {
            throw new FleetMfaException(ErrorCodes.Unauthorized, "This device holds no certificate for that key (decommissioned, re-enrolled, or not this device).");
        }

        state.PreviousCertificate = state.Certificate;
        state.Certificate = renewed;
        return [];
    }
}
