namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// The reminder table of the in-process test silos without Azure storage: a dictionary behind a lock, like the other
/// in-memory stores here. Orleans' own in-memory table (<c>UseInMemoryReminderService</c>) keeps its rows in a grain,
/// so the reminder service's initial read at silo start is a grain call; on a loaded CI machine that call timed out
/// three times, the service gave up for good, and every test that registered a reminder failed. A plain object
/// answers at once. ETags are fresh per write, so a stale ETag loses exactly as on Azure Table storage.
/// </summary>
public sealed class InMemoryReminderTable : IReminderTable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<GrainId, Dictionary<string, ReminderEntry>> _rows = [];
    private long _lastETag;

    public Task<ReminderTableData> ReadRows(GrainId grainId)
    {
        lock (_lock)
        {
            return Task.FromResult(Snapshot(_rows.TryGetValue(grainId, out var reminders) ? reminders.Values : []));
        }
    }

    public Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        var range = RangeFactory.CreateRange(begin, end);
        lock (_lock)
        {
            return Task.FromResult(Snapshot(_rows.Where(r => range.InRange(r.Key)).SelectMany(r => r.Value.Values)));
        }
    }

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
    {
        lock (_lock)
        {
            return Task.FromResult(
                _rows.TryGetValue(grainId, out var reminders) && reminders.TryGetValue(reminderName, out var entry) ? Copy(entry) : null);
        }
    }

    public Task<string?> UpsertRow(ReminderEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_lock)
        {
            var stored = Copy(entry);
            stored.ETag = (++_lastETag).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!_rows.TryGetValue(stored.GrainId, out var reminders))
            {
                _rows[stored.GrainId] = reminders = new(StringComparer.Ordinal);
            }

            reminders[stored.ReminderName] = stored;
            return Task.FromResult<string?>(stored.ETag);
        }
    }

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        lock (_lock)
        {
            if (!_rows.TryGetValue(grainId, out var reminders)
                || !reminders.TryGetValue(reminderName, out var entry)
                || !string.Equals(entry.ETag, eTag, StringComparison.Ordinal))
            {
                return Task.FromResult(false);
            }

            reminders.Remove(reminderName);
            if (reminders.Count == 0)
            {
                _rows.Remove(grainId);
            }

            return Task.FromResult(true);
        }
    }

    public Task TestOnlyClearTable()
    {
        lock (_lock)
        {
            _rows.Clear();
        }

        return Task.CompletedTask;
    }

    private static ReminderTableData Snapshot(IEnumerable<ReminderEntry> entries) => new(entries.Select(Copy).ToList());

    // The reminder service keeps what it reads; a copy keeps its later changes out of the table, as storage would.
    private static ReminderEntry Copy(ReminderEntry entry) => new()
    {
        GrainId = entry.GrainId,
        ReminderName = entry.ReminderName,
        StartAt = entry.StartAt,
        Period = entry.Period,
        ETag = entry.ETag,
    };
}
