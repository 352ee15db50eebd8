namespace FleetMfa.Grains.Audit;

/// <summary>
/// One record of an org's audit trail. <see cref="Id"/> is unique within the org and, with <see cref="Time"/>, is the
/// record's identity: appending the same (time, id) twice stores it once. Never holds a secret, a code or a key —
/// only key ids and names.
/// </summary>
/// <param name="OrgId">The org whose trail this is.</param>
/// <param name="Id"><c>op:{random}</c> for operator actions, <c>dev:{deviceId}:{eventId}</c> for device events; at most 160 characters without <c>/ \ # ?</c>.</param>
/// <param name="Time">When it happened (for a device event: the device's clock).</param>
/// <param name="Kind">Operator or device.</param>
/// <param name="Actor"><c>admin</c>, <c>operator-key:{keyId}</c> or <c>device:{deviceId}</c>.</param>
/// <param name="ActorName">The operator key's name, when known.</param>
/// <param name="Action">What was done, e.g. <c>enable-device-mfa</c> or <c>login</c>.</param>
/// <param name="Target">What it was done to, e.g. <c>device:web-01</c>, <c>user:alice</c>, <c>org:acme</c>.</param>
/// <param name="DeviceId">The device involved, if any.</param>
/// <param name="UserId">The user involved, if any.</param>
/// <param name="LocalUsername">The local account of a device login.</param>
/// <param name="Outcome"><c>succeeded</c> or an error code for operator actions; <c>accepted</c>, <c>rejected</c>, <c>locked-out</c>, <c>not-required</c> for logins.</param>
/// <param name="Detail">A short, secret-free qualifier (e.g. <c>force</c>).</param>
/// <param name="Late">A device event uploaded well after it happened (see <see cref="AuditRules.LateAfter"/>).</param>
/// <param name="ReceivedAt">When the control plane stored it.</param>
public sealed record AuditEntry(
    string OrgId,
    string Id,
    DateTimeOffset Time,
    AuditKind Kind,
    string Actor,
    string? ActorName,
    string Action,
    string Target,
    string? DeviceId,
    string? UserId,
    string? LocalUsername,
    string? Outcome,
    string? Detail,
    bool Late,
    DateTimeOffset ReceivedAt);
