using FleetMfa.Grains;
using FleetMfa.Grains.Devices;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Devices;

/// <summary>What every <see cref="IDeviceIndexStore"/> must do; run against the in-memory store and against Azure Table storage on Azurite.</summary>
public abstract class DeviceIndexStoreContract
{
    private static readonly DateTimeOffset Seen = new(2026, 11, 28, 3, 4, 5, TimeSpan.FromHours(2));

    protected abstract IDeviceIndexStore Store { get; }

    [Fact]
    public async Task Rows_come_back_with_every_field()
    {
        var org = Fleet.NewId("org");
        DeviceRow[] rows =
        [
            new("web-01", "web-01.example.org", DeviceOs.Linux, true, MfaStatus.Failed, true, Seen, "mfa-unsupported-pam", PolicyVersion: 3_000_000_000),
            new("mac-01", "Mac mini", DeviceOs.Macos, false, MfaStatus.Disabled, false, null),
        ];

        await Store.WriteAsync(org, 7, rows);

        var read = await Store.ReadAsync(org, 7);
        Assert.Equal(rows.OrderBy(r => r.DeviceId, StringComparer.Ordinal), read.OrderBy(r => r.DeviceId, StringComparer.Ordinal));
        Assert.Equal(Seen, read.Single(r => r.DeviceId == "web-01").LastSeen);
    }

    [Fact]
    public async Task A_write_replaces_the_rows_it_names_and_keeps_the_others()
    {
        var org = Fleet.NewId("org");
        var first = Row("dev-1", MfaStatus.Pending, reason: null);
        var second = Row("dev-2", MfaStatus.Failed, reason: "timeout");
        await Store.WriteAsync(org, 0, [first, second]);

        var changed = second with { MfaStatus = MfaStatus.Enabled, MfaReason = null };
        await Store.WriteAsync(org, 0, [changed]);

        Assert.Equal([first, changed], (await Store.ReadAsync(org, 0)).OrderBy(r => r.DeviceId, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Shards_and_orgs_do_not_see_each_others_rows()
    {
        var org = Fleet.NewId("org");
        var other = Fleet.NewId("org");
        await Store.WriteAsync(org, 1, [Row("a-1")]);
        await Store.WriteAsync(org, 2, [Row("a-2")]);
        await Store.WriteAsync(other, 1, [Row("b-1")]);

        Assert.Equal(["a-1"], (await Store.ReadAsync(org, 1)).Select(r => r.DeviceId));
        Assert.Equal(["a-2"], (await Store.ReadAsync(org, 2)).Select(r => r.DeviceId));
        Assert.Equal(["b-1"], (await Store.ReadAsync(other, 1)).Select(r => r.DeviceId));
        Assert.Empty(await Store.ReadAsync(other, 2));
    }

    [Fact]
    public async Task A_write_of_more_rows_than_one_transaction_holds_stores_them_all()
    {
        var org = Fleet.NewId("org");
        var rows = Enumerable.Range(0, 250).Select(i => Row($"dev-{i:D3}")).ToArray();

        await Store.WriteAsync(org, 63, rows);

        Assert.Equal(rows.Select(r => r.DeviceId), (await Store.ReadAsync(org, 63)).Select(r => r.DeviceId).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("Org", 0)]
    [InlineData("org/x", 0)]
    [InlineData("org", -1)]
    [InlineData("org", GrainKeys.DeviceIndexShards)]
    public async Task A_key_that_is_not_an_org_and_shard_is_refused(string org, int shard)
    {
        await Assert.ThrowsAnyAsync<Exception>(() => Store.ReadAsync(org, shard));
        await Assert.ThrowsAnyAsync<Exception>(() => Store.WriteAsync(org, shard, [Row("dev-1")]));
    }

    [Fact]
    public async Task A_row_whose_device_id_is_not_a_slug_is_refused()
    {
        await Assert.ThrowsAsync<FleetMfaException>(() => Store.WriteAsync(Fleet.NewId("org"), 0, [Row("../etc")]));
    }

    private static DeviceRow Row(string id, MfaStatus status = MfaStatus.Disabled, string? reason = null) =>
        new(id, $"{id}.example.org", DeviceOs.Linux, status != MfaStatus.Disabled, status, false, null, reason);
}
