namespace FleetMfa.Grains;

/// <summary>A device and its MFA twin. Key: <c>{orgId}/{deviceId}</c>.</summary>
public interface IDeviceGrain : IGrainWithStringKey
{
    /// <summary>Registers the device with its agent's public key and MQTT credential; from now on it has a desired state on the broker.</summary>
    Task<DeviceDetail> EnrollAgentAsync(AgentEnrollment enrollment);

    /// <summary>
    /// Whether <paramref name="passwordHash"/> (SHA-256) is this device's MQTT password (broker authentication). Answered
    /// from the stored hash without awaiting anything, and called only by the broker's connect validation, never by a
    /// grain, so it needs no interleaving: it waits at most for the device's current turn, and a connect that times out
    /// is refused (the agent reconnects with back-off).
    /// </summary>
    Task<bool> IsMqttPasswordValidAsync(byte[] passwordHash);

    /// <summary>
    /// Whether the FleetMfa-issued client certificate with <paramref name="serial"/> is one this device may connect
    /// with (its current one, or the one a renewal replaced until that expires; none once revoked). Answered from the
    /// state, for the broker's connect validation, as <see cref="IsMqttPasswordValidAsync"/>.
    /// </summary>
    Task<bool> IsClientCertificateValidAsync(string serial);

    /// <summary>Whether a certificate for <paramref name="publicKey"/> (SubjectPublicKeyInfo) may be issued as a renewal: the device is in service and holds one for that key.</summary>
    Task<bool> MayRenewCertificateAsync(byte[] publicKey);

    /// <summary>Stores <paramref name="renewed"/> as the device's certificate (the one it replaces stays valid until it expires); <c>unauthorized</c> unless it may be renewed.</summary>
    Task RenewCertificateAsync(DeviceCertificate renewed);

    /// <summary>A <c>ReportedState</c> document from the device's <c>reported</c> topic; garbage is logged and dropped.</summary>
    Task ReportAsync(byte[] payload);

    /// <summary>The device's presence (its <c>presence</c> topic, or its last will).</summary>
    Task SetPresenceAsync(bool online);

    /// <summary>
    /// An <c>AuditEventBatch</c> from the device's <c>events</c> topic, stored before this returns; the ids of the batch's
    /// events that are settled (stored now or before, or refused for good) — what the device's receipt names. Empty when
    /// the batch was dropped whole.
    /// </summary>
    Task<IReadOnlyList<string>> UploadAuditAsync(byte[] payload);

    Task<DeviceDetail> RegisterAsync(DeviceRegistration registration);

    /// <summary>The device, or <c>null</c> when it was never registered.</summary>
    Task<DeviceDetail?> GetAsync();

    /// <summary>Changes settings; refuses (and changes nothing) when the result would break an OS rule while MFA is on.</summary>
    Task<DeviceDetail> UpdateSettingsAsync(DeviceSettingsPatch patch);

    /// <summary>Turns the device switch on, or refuses with the OS rule's code without changing anything.</summary>
    Task<DeviceDetail> EnableMfaAsync(bool force);

    Task<DeviceDetail> DisableMfaAsync();

    /// <summary>
    /// A rollout's change to this device. Final when refused or already acknowledged; otherwise pending, and the device
    /// tells the rollout's shard once its agent acknowledges (or fails) the returned version.
    /// </summary>
    Task<RolloutStep> ApplyRolloutAsync(RolloutTicket ticket);

    /// <summary>Where the device stands against <paramref name="version"/> for a rollout that lost track (restart, timeout).</summary>
    Task<RolloutStep> CheckRolloutAsync(RolloutTicket ticket, long version);

    /// <summary>
    /// Takes a newer org policy (TOTP switch, parameters); older or equal versions change nothing. One-way, from the
    /// device's index shard: the device acknowledges by upserting its row with the policy version it holds — also when
    /// it took nothing (a repeat) — so the shard, which waits on no device, may be called back without a cycle.
    /// </summary>
    [Orleans.Concurrency.OneWay]
    Task ApplyOrgPolicyAsync(OrgPolicy policy);

    Task<DeviceUserStatus> BindUserAsync(string userId, string localUsername);

    Task UnbindUserAsync(string userId);

    Task<IReadOnlyList<DeviceUserStatus>> GetUsersAsync();

    /// <summary>
    /// Decommissions the device (stored before anything is done; a second call answers the same record): no secret is
    /// sealed for it and no user bound any more, its reports are ignored but the wipe acknowledgement, a final signed
    /// desired state tells its agent to wipe, and once it acknowledged (or its grace period ended) its MQTT credentials
    /// are revoked, its broker session ended and its retained desired state cleared.
    /// </summary>
    Task<DecommissionInfo> DecommissionAsync();

    /// <summary>
    /// A bound user's enrollment changed (from the user's outbox): the device stores the newer update — the secret comes
    /// sealed to its own key — moves its desired state on, and then acknowledges it to the user
    /// (<see cref="IUserGrain.OnDeviceTookAsync"/>). One-way: the user never waits on a device, so a device may call its
    /// users (bind, unbind, acknowledge) without a cycle; an update that is lost is sent again until acknowledged.
    /// </summary>
    [Orleans.Concurrency.OneWay]
    Task OnUserTotpChangedAsync(string userId, UserTotpUpdate update);
}
