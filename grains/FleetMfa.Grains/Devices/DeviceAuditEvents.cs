using System.Text.Json;
using FleetMfa.Grains.Audit;
using FleetMfa.Grains.Rules;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Grains.Devices;

/// <summary>
/// What an agent uploads on its <c>events</c> topic, as audit records: login decisions, what it did to keep the OS
/// policy in force, and desired states it refused as untrusted (<c>untrusted-desired-state</c>). Malformed events, and events whose time is implausible, are dropped.
/// </summary>
public static class DeviceAuditEvents
{
    public const int MaxBatchBytes = 256 * 1024;

    /// <summary>The batch, or null when it is empty, oversized, malformed or of another schema.</summary>
    public static AuditEventBatch? Parse(byte[]? payload)
    {
        try
        {
            var batch = payload is { Length: > 0 and <= MaxBatchBytes } ? JsonSerializer.Deserialize(payload, ProtocolJsonContext.Default.AuditEventBatch) : null;
            return batch is { Schema: AuditEventBatch.CurrentSchema, Events: not null } && batch.Events.Count <= AuditEventBatch.MaxEvents ? batch : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>An agent's event as an audit record, or null (and dropped) when it is malformed or its time is implausible.</summary>
    public static AuditEntry? ToEntry(string orgId, string deviceId, AuditEvent? e, DateTimeOffset received)
    {
        if (e is null || !IsEventId(e.Id) || e.At > received + AuditRules.MaxClockAhead || e.At < received - AuditRules.MaxAge ||
            (e.Detail is not null && (e.Detail.Length > AuditEvent.MaxDetailLength || e.Detail.Any(char.IsControl))))
        {
            return null;
        }

        return e.Action switch
        {
            null or AuditActions.Login => LoginEntry(orgId, deviceId, e, received),
            AuditActions.PolicyDriftRepaired when e.Outcome == AuditOutcome.Repaired => PolicyEntry(orgId, deviceId, e, received, "repaired"),
            AuditActions.PolicyDriftUnrepairable when e.Outcome == AuditOutcome.Unrepairable => PolicyEntry(orgId, deviceId, e, received, "unrepairable"),
            AuditActions.UntrustedDesiredState when e.Outcome == AuditOutcome.Refused => PolicyEntry(orgId, deviceId, e, received, "refused"),
            _ => null,
        };
    }

    private static AuditEntry? LoginEntry(string orgId, string deviceId, AuditEvent e, DateTimeOffset received)
    {
        var outcome = e.Outcome switch
        {
            AuditOutcome.Accepted => "accepted",
            AuditOutcome.Rejected => "rejected",
            AuditOutcome.LockedOut => "locked-out",
            AuditOutcome.NotRequired => "not-required",
            _ => null,
        };
        if (outcome is null || e.LocalUsername is null || !InputRules.IsLocalUsername(e.LocalUsername) ||
            (e.UserId is not null && !Slug.IsValid(e.UserId)) || e.Detail is not null)
        {
            return null;
        }

        return Entry(orgId, deviceId, e, received, AuditActions.Login, e.UserId is null ? $"local-user:{e.LocalUsername}" : $"user:{e.UserId}", outcome);
    }

    /// <summary>
    /// The agent kept (or could not keep) the OS policy in force, or refused an untrusted desired state: the record names
    /// the device, and says what in <c>detail</c>.
    /// </summary>
    private static AuditEntry? PolicyEntry(string orgId, string deviceId, AuditEvent e, DateTimeOffset received, string outcome) =>
        e.LocalUsername is not null || e.UserId is not null || e.Detail is null
            ? null
            : Entry(orgId, deviceId, e, received, e.Action!, $"device:{deviceId}", outcome);

    /// <summary>A device's record: its id derives from the agent's event id, so a redelivered batch stores nothing twice.</summary>
    private static AuditEntry Entry(string orgId, string deviceId, AuditEvent e, DateTimeOffset received, string action, string target, string outcome) =>
        new(orgId, $"dev:{deviceId}:{e.Id}", e.At, AuditKind.Device, $"device:{deviceId}", ActorName: null, action, target, deviceId,
            e.UserId, e.LocalUsername, outcome, e.Detail, AuditRules.IsLate(e.At, received), received);

    /// <summary>The agent's event ids are GUIDs; anything of letters, digits and '-' up to 64 is accepted.</summary>
    /// <summary>
    /// The ids of a handled batch's events: each one is stored, was stored before, or was refused for good (sent again,
    /// it would be refused again), so the device may drop them all.
    /// </summary>
    public static IReadOnlyList<string> Settled(AuditEventBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return [.. batch.Events.Select(e => e?.Id).Where(IsEventId).Distinct(StringComparer.Ordinal)!];
    }

    private static bool IsEventId(string? id) =>
        id is { Length: > 0 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
