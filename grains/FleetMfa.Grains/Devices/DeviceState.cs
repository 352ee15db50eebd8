namespace FleetMfa.Grains.Devices;

/// <summary>
/// What cannot be recovered from the device: registration, settings, the MFA switch, bindings and the desired-state
/// version. <see cref="MfaChangeVersion"/> is the desired version at which "TOTP required" last flipped (or at which
/// the grain adopted a version the device was ahead with); the status is <c>pending</c> until the device has applied at
/// least that version.
/// </summary>
[GenerateSerializer, Alias("fleetmfa.DeviceState")]
public sealed class DeviceState
{
    [Id(0)] public bool Registered { get; set; }
    [Id(1)] public string Hostname { get; set; } = "";
    [Id(2)] public DeviceOs Os { get; set; }
    [Id(3)] public string OsVersion { get; set; } = "";
    [Id(4)] public DeviceFacts Facts { get; set; } = DeviceFacts.Unknown;
    [Id(5)] public DeviceSettings Settings { get; set; } = DeviceSettings.Default;
    [Id(6)] public bool MfaDesired { get; set; }
    [Id(7)] public OrgPolicy? Policy { get; set; }
    [Id(8)] public long DesiredVersion { get; set; }
    [Id(9)] public long AppliedVersion { get; set; }
    [Id(10)] public long MfaChangeVersion { get; set; }
    [Id(11)] public string? FailureReason { get; set; }
    [Id(12)] public Dictionary<string, BoundUser> Users { get; set; } = [];
    [Id(13)] public DateTimeOffset CreatedAt { get; set; }
    [Id(14)] public DateTimeOffset? LastSeen { get; set; }

    /// <summary>The agent's P-256 public key (SubjectPublicKeyInfo); <c>null</c> for a device pre-registered without an agent.</summary>
    [Id(15)] public byte[]? PublicKey { get; set; }

    /// <summary>SHA-256 of the device's MQTT password.</summary>
    [Id(16)] public byte[]? MqttPasswordHash { get; set; }

    /// <summary>The rollout (at most one, the latest) to tell when the agent acknowledges or fails its version.</summary>
    [Id(17)] public RolloutWatch? RolloutWatch { get; set; }

    /// <summary>The agent's time on the latest report taken; an older report that arrives later is stale.</summary>
    [Id(18)] public DateTimeOffset? LastReportAt { get; set; }

    /// <summary>
    /// The agent's latest report that the applied version's OS policy is not in force and it could not repair it (e.g.
    /// sshd no longer includes the drop-in); the device is then <c>failed</c>, never <c>enabled</c>. Cleared by the next
    /// report without it.
    /// </summary>
    [Id(19)] public string? EnforcementProblem { get; set; }

    /// <summary>The agent's latest report that the OS policy had drifted and it put it back (still in force).</summary>
    [Id(20)] public string? EnforcementRepair { get; set; }

    /// <summary>What the grain still has to do for changes it stored (<see cref="DeviceEffect"/>), in order.</summary>
    [Id(21)] public List<DeviceEffect> Outbox { get; set; } = [];

    /// <summary>
    /// The highest version the agent reported applied that this grain had not issued (a control plane restored from an
    /// older backup had): the grain went on from the version after it (<see cref="DeviceTwin.TakeReport"/>). What the
    /// device enforces at or below it is unknown here, so an ack of a version up to it settles nothing.
    /// </summary>
    [Id(22)] public long AdoptedVersion { get; set; }

    /// <summary>The device's decommission (<see cref="DecommissionTwin.Decommission"/>); null while it is in service.</summary>
    [Id(23)] public DeviceDecommission? Decommission { get; set; }

    /// <summary>The device's current MQTT client certificate; null without one, and once revoked.</summary>
    [Id(24)] public DeviceCertificate? Certificate { get; set; }

    /// <summary>
    /// The certificate the last renewal replaced, still trusted until it expires: the agent's open session (and a
    /// reconnect racing the renewal's answer) may still present it. Null once revoked.
    /// </summary>
    [Id(25)] public DeviceCertificate? PreviousCertificate { get; set; }

    public bool HasAgent => PublicKey is not null;

    /// <summary>Whether the device's MQTT credentials were revoked (a decommissioned device after its wipe or grace period).</summary>
    public bool Revoked => Decommission is { RevokedAt: not null };

    /// <summary>Why the device is not (or was not quite) where it should be: a failed version, a policy not in effect, a repaired drift.</summary>
    public string? Reason => FailureReason ?? EnforcementProblem ?? EnforcementRepair;

    public bool Required => MfaDesired && Policy is { TotpEnabled: true };

    public MfaStatus Status =>
        AppliedVersion >= MfaChangeVersion ? (!Required ? MfaStatus.Disabled : EnforcementProblem is null ? MfaStatus.Enabled : MfaStatus.Failed)
        : FailureReason is not null ? MfaStatus.Failed
        : MfaStatus.Pending;
}
