using Orleans.Concurrency;

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

    /// <summary>Called by a device grain; interleaves so that a device and a user never wait on each other.</summary>
    [AlwaysInterleave]
    Task<UserTotpState> AddDeviceAsync(string deviceId);

    [AlwaysInterleave]
    Task RemoveDeviceAsync(string deviceId);

    [AlwaysInterleave]
    Task<UserTotpState?> GetTotpStateAsync();

    /// <summary>
    /// The user's current secret sealed to <paramref name="devicePublicKey"/>, bound to this org, device, user and
    /// secret version; <c>null</c> unless setup is complete. The plaintext never leaves this grain.
    /// </summary>
    [AlwaysInterleave]
    Task<SealedUserSecret?> SealSecretForAsync(string deviceId, byte[] devicePublicKey);
}
