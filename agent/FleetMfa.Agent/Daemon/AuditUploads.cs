using FleetMfa.Agent.Store;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Daemon;

/// <summary>
/// The upload side of the device's audit queue. An event stays queued (on disk, through restarts) until the control
/// plane's receipt names it: a broker that accepted the upload has not stored it, and neither a broker restart nor a
/// silo that could not reach storage may lose a login record. An event sent and not receipted is sent again after
/// <see cref="AuditReceipt.ReceiptWait"/>. A receipt removes only events this agent sent and is waiting for, so a
/// receipt from anyone else cannot empty the queue of events not yet on their way.
/// </summary>
internal sealed class AuditUploads(AgentStore store, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, DateTimeOffset> _sentAt = new(StringComparer.Ordinal);

    /// <summary>The queued events to send now, oldest first: those never sent, or sent longer than <see cref="AuditReceipt.ReceiptWait"/> ago.</summary>
    public IReadOnlyList<AuditEvent> Due()
    {
        var queued = store.PeekAudit(AuditEventBatch.MaxEvents);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            return [.. queued.Where(e => !_sentAt.TryGetValue(e.Id, out var at) || now - at >= AuditReceipt.ReceiptWait)];
        }
    }

    /// <summary>Notes that <paramref name="events"/> reached the broker: their receipt is awaited from now.</summary>
    public void Sent(IEnumerable<AuditEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            foreach (var e in events)
            {
                _sentAt[e.Id] = now;
            }
        }
    }

    /// <summary>Drops from the queue the events of <paramref name="receipt"/> this agent sent; the number dropped.</summary>
    public int Confirm(AuditReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        HashSet<string> confirmed;
        lock (_lock)
        {
            confirmed = [.. receipt.Stored.Where(_sentAt.ContainsKey)];
            foreach (var id in confirmed)
            {
                _sentAt.Remove(id);
            }
        }

        if (confirmed.Count > 0)
        {
            store.RemoveAudit(confirmed);
        }

        return confirmed.Count;
    }
}
