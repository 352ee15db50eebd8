using FleetMfa.Agent.Daemon;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Protocol.Documents;
using Microsoft.Extensions.Time.Testing;

namespace FleetMfa.Agent.Tests.Daemon;

/// <summary>
/// An audit event leaves the device's queue only with the control plane's receipt: sent events are not sent again until
/// <see cref="AuditReceipt.ReceiptWait"/> passed without one, a receipt removes only events this agent sent and awaits
/// (what is trusted as a receipt: <c>Protocol/AuditReceiptSignatureTests</c>).
/// </summary>
public sealed class AuditUploadsTests : IDisposable
{
    private static readonly DateTimeOffset _start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly TestStore _store = new();
    private readonly FakeTimeProvider _clock = new(_start);
    private readonly AuditUploads _uploads;

    public AuditUploadsTests() => _uploads = new AuditUploads(_store.Store, _clock);

    public void Dispose() => _store.Dispose();

    [Fact]
    public void A_sent_event_stays_queued_and_is_sent_again_only_after_the_receipt_wait()
    {
        var first = Queue("e1");
        Assert.Equal(["e1"], Ids(_uploads.Due()));
        _uploads.Sent(_uploads.Due());

        _clock.Advance(TimeSpan.FromSeconds(10));
        var second = Queue("e2");
        Assert.Equal(["e2"], Ids(_uploads.Due()));
        _uploads.Sent([second]);

        _clock.Advance(AuditReceipt.ReceiptWait - TimeSpan.FromSeconds(11));
        Assert.Empty(_uploads.Due());
        Assert.Equal(2, _store.Store.PeekAudit(10).Count);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["e1"], Ids(_uploads.Due()));
        Assert.Equal(first, _uploads.Due().Single());
    }

    [Fact]
    public void A_receipt_removes_the_events_it_names_that_were_sent_and_nothing_else()
    {
        Queue("e1");
        Queue("e2");
        _uploads.Sent(_uploads.Due());
        Queue("e3"); // not sent yet: a receipt naming it (not from this upload) must not drop it

        Assert.Equal(1, _uploads.Confirm(new AuditReceipt(AuditReceipt.CurrentSchema, TestStore.OrgId, TestStore.DeviceId, ["e1", "e3", "unknown"])));

        Assert.Equal(["e2", "e3"], Ids(_store.Store.PeekAudit(10)));
        Assert.Equal(0, _uploads.Confirm(new AuditReceipt(AuditReceipt.CurrentSchema, TestStore.OrgId, TestStore.DeviceId, ["e1"])));
        Assert.Equal(["e3"], Ids(_uploads.Due()));
    }

    [Fact]
    public void A_new_daemon_sends_everything_queued_and_takes_its_receipt()
    {
        Queue("e1");
        _uploads.Sent(_uploads.Due());

        // The agent restarted: the queue is on disk, what was sent is not known, so it is sent again (stored once).
        var restarted = new AuditUploads(_store.Store, _clock);
        Assert.Equal(0, restarted.Confirm(new AuditReceipt(AuditReceipt.CurrentSchema, TestStore.OrgId, TestStore.DeviceId, ["e1"])));
        restarted.Sent(restarted.Due());
        Assert.Equal(1, restarted.Confirm(new AuditReceipt(AuditReceipt.CurrentSchema, TestStore.OrgId, TestStore.DeviceId, ["e1"])));
        Assert.Empty(_store.Store.PeekAudit(10));
    }

    private AuditEvent Queue(string id)
    {
        var e = new AuditEvent(id, _clock.GetUtcNow(), AuditOutcome.Accepted, "alice", "alice");
        _store.Store.AppendAudit(e);
        return e;
    }

    private static List<string> Ids(IEnumerable<AuditEvent> events) => [.. events.Select(e => e.Id)];
}
