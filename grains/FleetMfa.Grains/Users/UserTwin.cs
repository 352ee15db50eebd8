using System.Security.Cryptography;
using System.Text;
using FleetMfa.Grains.Rules;
using FleetMfa.Grains.Security;
using FleetMfa.Grains.Totp;
using FleetMfa.Protocol.Sealing;

namespace FleetMfa.Grains.Users;

/// <summary>
/// A user's decisions, free of Orleans, in the shape of <see cref="Devices.DeviceTwin"/>: each takes the user's state —
/// a copy, which the grain stores only when the decision says so — and what the grain gathered for it (the org's
/// settings, a new secret, a code, the time), changes the state and returns whether there is anything to store. A
/// refusal throws before anything changes. Nothing here waits, calls another grain or writes.
/// <para>
/// The one effect a user has is telling its devices, and its outbox is part of the state: every change a device must
/// hear of (name, enrollment, a device key learned) moves <see cref="UserState.Revision"/> on and puts the devices to
/// tell into <see cref="UserState.Notify"/>, stored in the same write; each leaves it by acknowledging that revision.
/// </para>
/// The secret exists in plaintext only within a call: protected under the control plane's key in the state, sealed to a
/// device's key in its update (<see cref="UpdateFor"/>), and wiped from memory after use.
/// </summary>
/// <param name="orgId">The user's org.</param>
/// <param name="userId">The user.</param>
/// <param name="protector">Protects the secret at rest; the ciphertext is bound to the org, the user and the secret version.</param>
public sealed class UserTwin(string orgId, string userId, ISecretProtector protector)
{
    /// <summary>The profile as stored (a 400 for a bad one): checked before anything else, and again by <see cref="CreateOrUpdate"/>.</summary>
    public static UserProfile RequireProfile(UserProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return new UserProfile(InputRules.RequireText(profile.Username, "username", 64), InputRules.OptionalEmail(profile.Email));
    }

    /// <summary>Creates the user (the org is known to exist) or changes its profile; a new name is every device's to hear of. False when nothing changed.</summary>
    public static bool CreateOrUpdate(UserState state, UserProfile profile, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        var (username, email) = RequireProfile(profile);
        if (state.Created && state.Username == username && state.Email == email)
        {
            return false;
        }

        if (!state.Created)
        {
            state.Created = true;
            state.CreatedAt = now;
        }

        var renamed = state.Username.Length > 0 && state.Username != username;
        state.Username = username;
        state.Email = email;
        if (renamed)
        {
            NotifyAll(state);
        }

        return true;
    }

    /// <summary>
    /// Starts TOTP setup with <paramref name="secret"/> (the caller's, which it wipes): a new secret version, protected,
    /// pending until confirmed within <paramref name="enrollmentPeriod"/>; a setup started or completed before is replaced.
    /// </summary>
    public void StartEnrollment(UserState state, ReadOnlySpan<byte> secret, TimeSpan enrollmentPeriod, DateTimeOffset now)
    {
        EnsureCreated(state);
        state.SecretVersion++;
        state.ProtectedSecret = protector.Protect(secret, AssociatedData(state.SecretVersion));
        state.TotpStatus = TotpStatus.PendingSetup;
        state.EnrolledAt = null;
        state.EnrollmentExpiresAt = now + enrollmentPeriod;
        NotifyAll(state);
    }

    /// <summary>The answer to a started setup, shown once: the secret in base32, its otpauth URI and that URI as a QR code.</summary>
    public TotpEnrollment Enrollment(UserState state, byte[] secret, TotpParameters totp)
    {
        ArgumentNullException.ThrowIfNull(state);
        var base32 = TotpAuthenticator.ToBase32(secret);
        var uri = TotpAuthenticator.OtpauthUri(orgId, state.Username, base32, totp);
        return new TotpEnrollment(base32, uri, TotpAuthenticator.QrSvg(uri), state.EnrollmentExpiresAt!.Value);
    }

    /// <summary>
    /// Completes a pending setup with a code valid at <paramref name="now"/> under <paramref name="totp"/>; refused
    /// (<c>enrollment-not-started</c>, <c>enrollment-expired</c>, <c>invalid-code</c>) with nothing changed otherwise.
    /// </summary>
    public void Confirm(UserState state, string code, TotpParameters totp, DateTimeOffset now)
    {
        EnsureCreated(state);
        ArgumentNullException.ThrowIfNull(code);
        if (state.TotpStatus != TotpStatus.PendingSetup || state.ProtectedSecret is null)
        {
            throw new FleetMfaException(ErrorCodes.EnrollmentNotStarted, $"User '{userId}' has no TOTP setup waiting for confirmation.");
        }

        if (now >= state.EnrollmentExpiresAt)
        {
            throw new FleetMfaException(ErrorCodes.EnrollmentExpired, $"The TOTP setup of user '{userId}' expired at {state.EnrollmentExpiresAt:O}; start it again.");
        }

        var secret = Secret(state);
        try
        {
            if (!TotpAuthenticator.Verify(secret, code, totp, now, out _))
            {
                throw new FleetMfaException(ErrorCodes.InvalidCode, "The code is not valid for this setup at this time.");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }

        state.TotpStatus = TotpStatus.Enrolled;
        state.EnrolledAt = now;
        state.EnrollmentExpiresAt = null;
        NotifyAll(state);
    }

    /// <summary>Drops the secret (a lost phone): every device is to stop prompting with it. False when the user was not enrolled.</summary>
    public bool Reset(UserState state)
    {
        EnsureCreated(state);
        if (state.TotpStatus == TotpStatus.NotEnrolled)
        {
            return false;
        }

        state.TotpStatus = TotpStatus.NotEnrolled;
        state.ProtectedSecret = null;
        state.EnrolledAt = null;
        state.EnrollmentExpiresAt = null;
        NotifyAll(state);
        return true;
    }

    /// <summary>
    /// Records a bound device and its public key (null: no agent yet). A device known already whose key changed (its
    /// agent enrolled after the binding) is due a newer update, sealed to its key. False when nothing changed.
    /// </summary>
    public bool AddDevice(UserState state, string deviceId, byte[]? devicePublicKey)
    {
        EnsureCreated(state);
        Slug.Require(deviceId, "deviceId");
        var known = !state.Devices.Add(deviceId);
        var stored = state.DeviceKeys.GetValueOrDefault(deviceId);
        var keyChanged = stored is null ? devicePublicKey is not null : devicePublicKey is null || !stored.AsSpan().SequenceEqual(devicePublicKey);
        if (keyChanged && devicePublicKey is null)
        {
            state.DeviceKeys.Remove(deviceId);
        }
        else if (keyChanged)
        {
            state.DeviceKeys[deviceId] = devicePublicKey!;
        }

        if (known && keyChanged)
        {
            // The update the device holds has no secret for it, and the one sealed to its key must count as newer.
            state.Revision++;
            state.Notify.Add(deviceId);
        }

        return !known || keyChanged;
    }

    /// <summary>Forgets a device that no longer binds the user: its key, and any update still to tell it. False when it was not bound.</summary>
    public static bool RemoveDevice(UserState state, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Devices.Remove(deviceId) | state.Notify.Remove(deviceId) | state.DeviceKeys.Remove(deviceId);
    }

    /// <summary>
    /// A device took <paramref name="revision"/>: it leaves the outbox when that is the current one (an older one leaves it
    /// there, to be sent the newer). Not a change to store on its own: the outbox is stored smaller with the next change.
    /// True when this emptied the outbox.
    /// </summary>
    public static bool TakeAck(UserState state, string deviceId, long revision)
    {
        ArgumentNullException.ThrowIfNull(state);
        return revision >= state.Revision && state.Notify.Remove(deviceId) && state.Notify.Count == 0;
    }

    /// <summary>The stored enrollment as one device is to hold it: the secret only once setup is complete, and only sealed to that device's key.</summary>
    public UserTotpUpdate UpdateFor(UserState state, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(state);
        SealedUserSecret? sealedSecret = null;
        if (state.TotpStatus == TotpStatus.Enrolled && state.ProtectedSecret is not null && state.DeviceKeys.TryGetValue(deviceId, out var key))
        {
            var secret = Secret(state);
            try
            {
                var sealedBox = SecretSealer.Seal(key, secret, SecretSealer.AssociatedData(orgId, deviceId, userId, state.SecretVersion));
                sealedSecret = new SealedUserSecret(state.SecretVersion, sealedBox.EphemeralKey, sealedBox.Nonce, sealedBox.Ciphertext);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(secret);
            }
        }

        return new UserTotpUpdate(state.Revision, new UserTotpState(state.Username, state.TotpStatus, state.SecretVersion), sealedSecret);
    }

    public UserInfo Info(UserState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new UserInfo(
            orgId,
            userId,
            state.Username,
            state.Email,
            state.TotpStatus,
            state.SecretVersion,
            state.EnrollmentExpiresAt,
            state.EnrolledAt,
            [.. state.Devices.Order(StringComparer.Ordinal)]);
    }

    /// <summary>Refuses (404) anything but a profile update for a user that was never created.</summary>
    public void EnsureCreated(UserState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.Created)
        {
            throw FleetMfaException.NotFound($"User '{userId}' does not exist in org '{orgId}'.");
        }
    }

    /// <summary>Every bound device is due to be told of the state about to be stored.</summary>
    private static void NotifyAll(UserState state)
    {
        state.Revision++;
        state.Notify.UnionWith(state.Devices);
    }

    /// <summary>The plaintext secret, in a new array the caller must wipe.</summary>
    private byte[] Secret(UserState state) => protector.Unprotect(state.ProtectedSecret!, AssociatedData(state.SecretVersion));

    /// <summary>Binds a ciphertext to its org, user and secret version: a blob copied elsewhere does not decrypt.</summary>
    private byte[] AssociatedData(int secretVersion) =>
        Encoding.UTF8.GetBytes($"fleetmfa/user-secret/v1|{orgId}|{userId}|{secretVersion}");
}
