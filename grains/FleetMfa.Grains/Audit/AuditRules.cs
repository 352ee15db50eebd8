using System.Globalization;

namespace FleetMfa.Grains.Audit;

/// <summary>The storage layout and limits of the audit trail, shared by every <see cref="IAuditLog"/>.</summary>
public static class AuditRules
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;
    public const int MaxIdLength = 160;

    /// <summary>
    /// A device event is <c>late</c> when it reached the control plane more than this after it happened on the device
    /// (by the device's clock): the agent was offline and uploaded its queue on reconnecting. An online agent uploads
    /// within seconds (every 5 s), and agents' clocks are expected to be within a minute.
    /// </summary>
    public static readonly TimeSpan LateAfter = TimeSpan.FromMinutes(2);

    /// <summary>Device events claiming a time further in the future than this (a broken device clock) are dropped.</summary>
    public static readonly TimeSpan MaxClockAhead = TimeSpan.FromHours(24);

    /// <summary>Device events older than this when uploaded are dropped.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(400);

    /// <summary>An org's records of one UTC day share a partition: <c>{orgId}:{inverted day}</c>, so newer days sort first.</summary>
    public static string PartitionKey(string orgId, DateTimeOffset time) =>
        $"{orgId}:{(DateOnly.MaxValue.DayNumber - DateOnly.FromDateTime(time.UtcDateTime).DayNumber).ToString("D7", CultureInfo.InvariantCulture)}";

    /// <summary>Inverted ticks, then the id: newest first within a day, deterministic for the same record.</summary>
    public static string RowKey(DateTimeOffset time, string id) =>
        $"{(DateTimeOffset.MaxValue.UtcTicks - time.UtcTicks).ToString("D19", CultureInfo.InvariantCulture)}_{id}";

    /// <summary>
    /// The bounds of an org's partition keys: every slug character sorts below ':' (digits, '-', '.') or above ';'
    /// (letters, '_'), so no other org's keys fall between <c>{orgId}:</c> and <c>{orgId};</c>.
    /// </summary>
    public static (string From, string To) PartitionRange(string orgId) => ($"{orgId}:", $"{orgId};");

    public static bool IsLate(DateTimeOffset occurred, DateTimeOffset received) => received - occurred > LateAfter;

    /// <summary>Whether <paramref name="id"/> can be part of a storage key.</summary>
    public static bool IsValidId(string? id) =>
        id is { Length: > 0 and <= MaxIdLength } && id.All(c => c > ' ' && c < '\u007f' && c is not ('/' or '\\' or '#' or '?'));

    public static int RequireLimit(int? limit) => limit switch
    {
        null => DefaultLimit,
        >= 1 and <= MaxLimit => limit.Value,
        _ => throw FleetMfaException.Validation($"limit must be between 1 and {MaxLimit}."),
    };

    public static void RequireValid(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!Slug.IsValid(entry.OrgId) || !IsValidId(entry.Id))
        {
            throw new ArgumentException($"Audit record '{entry.Id}' of '{entry.OrgId}' has an invalid org or id.", nameof(entry));
        }
    }
}
