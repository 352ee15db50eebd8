namespace FleetMfa.Grains;

/// <summary>A user, their TOTP enrollment (secret encrypted at rest) and the devices they are bound to. Key: <c>{orgId}/{userId}</c>.</summary>
public interface IUserGrain : IGrainWithStringKey
{
    Task<UserInfo> CreateOrUpdateAsync(UserProfile profile);

    /// <summary>The user, or <c>null</c> when never created.</summary>
    Task<UserInfo?> GetAsync();

    /// <summary>Starts (or restarts) setup with a fresh 160-bit secret; the user stays <c>pending-setup</c> until confirmed.</summary>
    Task<TotpEnrollment> StartTotpEnrollmentAsync();

    /// <summary>Completes setup with a code from the user's authenticator (drift per org policy).</summary>
    Task<UserInfo> ConfirmTotpAsync(string code);

    /// <summary>Drops the secret (lost phone); every bound device stops holding it.</summary>
    Task<UserInfo> ResetTotpAsync();

    /// <summary>
    /// A device binds this user (or got its agent's key after binding it): the user records the device and its P-256
    /// public key (null while the device has no agent) and answers its current enrollment, the secret sealed to that key.
    /// It never calls the device back in this call; a new key of a device it knew moves its revision on and goes to that
    /// device through the outbox (the device's effect that shares its key does not wait for the answer).
    /// </summary>
    Task<UserTotpUpdate> AddDeviceAsync(string deviceId, byte[]? devicePublicKey);

    /// <summary>A device no longer binds this user: it is told of nothing any more.</summary>
    Task RemoveDeviceAsync(string deviceId);

    /// <summary>
    /// A device stored this user's update of <paramref name="revision"/> (or a newer one), or has no use for it: the
    /// user's outbox stops telling it, unless the user changed since.
    /// </summary>
    Task OnDeviceTookAsync(string deviceId, long revision);
}
