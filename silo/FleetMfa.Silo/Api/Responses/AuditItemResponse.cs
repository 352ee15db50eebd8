using System.Text.Json.Serialization;
using FleetMfa.Grains.Audit;

namespace FleetMfa.Silo.Api.Responses;

/// <summary>One audit record; members that do not apply to its kind are left out.</summary>
public sealed record AuditItemResponse(
    string Id,
    DateTimeOffset Time,
    string Kind,
    string Actor,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ActorName,
    string Action,
    string Target,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DeviceId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LocalUsername,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Outcome,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Late,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? ReceivedAt)
{
    public static AuditItemResponse From(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var device = entry.Kind == AuditKind.Device;
        return new(
            entry.Id,
            entry.Time,
            device ? "device" : "operator",
            entry.Actor,
            entry.ActorName,
            entry.Action,
            entry.Target,
            entry.DeviceId,
            entry.UserId,
            entry.LocalUsername,
            entry.Outcome,
            entry.Detail,
            device ? entry.Late : null,
            device ? entry.ReceivedAt : null);
    }
}
