using FleetMfa.Grains;
using FleetMfa.Grains.Audit;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Audit;

/// <summary>What every <see cref="IAuditLog"/> must do; run against the in-memory log and against Azure Table storage on Azurite.</summary>
public abstract class AuditLogContract
{
    private static readonly DateTimeOffset Day = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    protected abstract IAuditLog Log { get; }

    [Fact]
    public async Task Records_come_back_newest_first_across_days_with_every_field()
    {
        var org = Fleet.NewId("org");
        var older = Operator(org, Day.AddDays(-2)) with { ActorName = "helpdesk", Detail = "force", DeviceId = "web-01", Target = "device:web-01" };
        var newest = Device(org, "web-01", "e1", Day.AddMinutes(5), late: true);
        var middle = Operator(org, Day);
        Assert.Equal(3, (await Log.AppendAsync([older, newest, middle])).Count);

        var page = await Log.ReadAsync(org, null, 10);

        Assert.Null(page.NextCursor);
        Assert.Equal([newest.Id, middle.Id, older.Id], page.Items.Select(i => i.Id));
        Assert.Equal(newest, page.Items[0]);
        Assert.Equal(older, page.Items[2]);
    }

    [Fact]
    public async Task The_same_record_appended_again_is_stored_once_and_the_first_copy_wins()
    {
        var org = Fleet.NewId("org");
        var first = Device(org, "web-01", "e1", Day, late: false);
        Assert.Single(await Log.AppendAsync([first]));

        // A redelivered upload: same device event, received later (so "late" and receivedAt differ), plus one new event.
        var again = first with { Late = true, ReceivedAt = first.ReceivedAt.AddHours(1) };
        var fresh = Device(org, "web-01", "e2", Day.AddSeconds(1), late: false);
        var added = await Log.AppendAsync([again, fresh, fresh]);

        Assert.Equal([fresh.Id], added.Select(a => a.Id));
        var items = (await Log.ReadAsync(org, null, 10)).Items;
        Assert.Equal([fresh, first], items);
    }

    [Fact]
    public async Task Paging_with_the_cursor_visits_every_record_once_in_order()
    {
        var org = Fleet.NewId("org");
        var entries = Enumerable.Range(0, 130).Select(i => Operator(org, Day.AddHours(-i))).ToList();
        Assert.Equal(130, (await Log.AppendAsync(entries)).Count);

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Log.ReadAsync(org, cursor, 50);
            Assert.True(page.Items.Count <= 50);
            seen.AddRange(page.Items.Select(i => i.Id));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(entries.Select(e => e.Id), seen);
    }

    [Fact]
    public async Task An_org_never_sees_the_records_of_another_even_one_whose_id_starts_the_same()
    {
        var org = Fleet.NewId("org");
        foreach (var neighbour in new[] { $"{org}-x", $"{org}.x", $"{org}0", $"{org}9", $"{org}_", $"{org}a", $"{org}z" })
        {
            await Log.AppendAsync([Operator(neighbour, Day)]);
        }

        var mine = Operator(org, Day);
        await Log.AppendAsync([mine]);

        var page = await Log.ReadAsync(org, null, 100);

        Assert.Equal([mine.Id], page.Items.Select(i => i.Id));
    }

    [Fact]
    public async Task A_cursor_of_another_org_or_a_made_up_one_is_a_validation_error()
    {
        var org = Fleet.NewId("org");
        var other = Fleet.NewId("org");
        await Log.AppendAsync([Operator(org, Day), Operator(org, Day.AddSeconds(1))]);
        var cursor = (await Log.ReadAsync(org, null, 1)).NextCursor;
        Assert.NotNull(cursor);

        foreach (var bad in new[] { cursor, "not-a-cursor", "%%%", new string('A', 5000) })
        {
            var refusal = await Assert.ThrowsAsync<FleetMfaException>(() => Log.ReadAsync(other, bad, 10));
            Assert.Equal(ErrorCodes.Validation, refusal.Code);
        }
    }

    [Fact]
    public async Task An_org_without_records_reads_an_empty_last_page()
    {
        var page = await Log.ReadAsync(Fleet.NewId("org"), null, 10);

        Assert.Empty(page.Items);
        Assert.Null(page.NextCursor);
    }

    private static AuditEntry Operator(string org, DateTimeOffset at) => new(
        org, $"op:{Guid.NewGuid():N}", at, AuditKind.Operator, "admin", null, "enable-device-mfa", $"org:{org}",
        null, null, null, "succeeded", null, false, at);

    private static AuditEntry Device(string org, string deviceId, string eventId, DateTimeOffset at, bool late) => new(
        org, $"dev:{deviceId}:{eventId}", at, AuditKind.Device, $"device:{deviceId}", null, "login", "user:alice",
        deviceId, "alice", "asmith", "accepted", null, late, at.AddSeconds(late ? 600 : 2));
}
