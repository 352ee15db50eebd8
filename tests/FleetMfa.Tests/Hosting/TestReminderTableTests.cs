using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Hosting;

/// <summary>
/// The in-process test silos' reminder table (<see cref="InMemoryReminderTable"/>) keeps the contract the reminder
/// service relies on, and a test cluster that never gets a started reminder service says so by name.
/// </summary>
public sealed class TestReminderTableTests
{
    private readonly InMemoryReminderTable _table = new();

    [Fact]
    public async Task Every_write_gets_a_new_etag_and_a_stale_one_cannot_remove_the_row()
    {
        var grain = GrainId.Create("device", "a");
        var first = await _table.UpsertRow(Entry(grain, "rollout"));
        var second = await _table.UpsertRow(Entry(grain, "rollout"));

        Assert.NotEqual(first, second);
        Assert.False(await _table.RemoveRow(grain, "rollout", first!));
        Assert.Equal(second, (await _table.ReadRow(grain, "rollout"))?.ETag);
        Assert.True(await _table.RemoveRow(grain, "rollout", second!));
        Assert.Null(await _table.ReadRow(grain, "rollout"));
        Assert.Empty((await _table.ReadRows(grain)).Reminders);
    }

    [Fact]
    public async Task What_a_reader_changes_does_not_change_the_table()
    {
        var grain = GrainId.Create("device", "b");
        var etag = await _table.UpsertRow(Entry(grain, "r"));

        var read = (await _table.ReadRows(grain)).Reminders.Single();
        read.ETag = "changed";

        Assert.Equal(etag, (await _table.ReadRow(grain, "r"))?.ETag);
    }

    [Fact]
    public async Task A_range_read_returns_the_grains_whose_hash_is_in_the_range_also_across_the_wrap()
    {
        var grains = Enumerable.Range(0, 64).Select(i => GrainId.Create("device", $"d{i}")).ToList();
        foreach (var grain in grains)
        {
            await _table.UpsertRow(Entry(grain, "r"));
        }

        var middle = grains[7].GetUniformHashCode();
        foreach (var (begin, end) in new[] { (0u, middle), (middle, 0u), (middle, middle - 1), (uint.MaxValue / 2, uint.MaxValue / 4) })
        {
            var range = RangeFactory.CreateRange(begin, end);
            var read = (await _table.ReadRows(begin, end)).Reminders.Select(r => r.GrainId).ToHashSet();
            Assert.Equal(grains.Where(g => range.InRange(g)).ToHashSet(), read);
        }

        Assert.Equal(64, (await _table.ReadRows(0, 0)).Reminders.Count);
    }

    [Fact]
    public async Task A_silo_whose_reminder_service_never_starts_is_named()
    {
        var silo = SiloAddress.New(System.Net.IPAddress.Loopback, 1, 1);

        var e = await Assert.ThrowsAsync<TimeoutException>(
            () => FleetTestCluster.WaitForReminderServicesAsync([(silo, new TaskCompletionSource().Task)], TimeSpan.Zero));

        Assert.Contains(silo.ToString(), e.Message, StringComparison.Ordinal);
    }

    private static ReminderEntry Entry(GrainId grain, string name) => new()
    {
        GrainId = grain,
        ReminderName = name,
        StartAt = new DateTime(2026, 11, 28, 0, 0, 0, DateTimeKind.Utc),
        Period = TimeSpan.FromMinutes(1),
    };
}
