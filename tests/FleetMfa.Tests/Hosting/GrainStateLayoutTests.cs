using Azure.Data.Tables;
using FleetMfa.Silo.Hosting;
using FleetMfa.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FleetMfa.Tests.Hosting;

/// <summary>The layout a store records in its first table, on the Azurite of <see cref="AzuriteClusterFixture"/>; each test in a table of its own.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class GrainStateLayoutTests(AzuriteClusterFixture fixture)
{
    private readonly TableServiceClient _service = new(fixture.ConnectionString);

    [Fact]
    public async Task A_new_store_gets_per_grain_row_keys_and_every_silo_reads_the_same()
    {
        var table = await NewTableAsync();

        var first = Layout(table, tables: 4);
        Assert.True(await first.CheckAsync(CancellationToken.None));
        var second = Layout(table, tables: 4);
        Assert.True(await second.CheckAsync(CancellationToken.None));

        Assert.True(first.PerGrainRowKeys);
        Assert.True(second.PerGrainRowKeys);
    }

    [Fact]
    public async Task A_store_written_before_the_layout_was_recorded_keeps_state_names_as_row_keys()
    {
        var table = await NewTableAsync();
        await _service.GetTableClient(table).AddEntityAsync(new TableEntity("fleetmfa-azurite-tests_device_org_host-1", "device"));

        var layout = Layout(table, tables: 1);
        Assert.True(await layout.CheckAsync(CancellationToken.None));
        var later = Layout(table, tables: 1);
        Assert.True(await later.CheckAsync(CancellationToken.None));

        Assert.False(layout.PerGrainRowKeys);
        Assert.False(later.PerGrainRowKeys);
    }

    [Fact]
    public async Task A_store_recorded_before_per_grain_row_keys_keeps_its_row_keys()
    {
        var table = await NewTableAsync();
        await _service.GetTableClient(table).AddEntityAsync(new TableEntity("fleetmfa-layout", "grain-state-tables") { ["Tables"] = 16 });

        var layout = Layout(table, tables: 16);

        Assert.True(await layout.CheckAsync(CancellationToken.None));
        Assert.False(layout.PerGrainRowKeys);
    }

    [Fact]
    public async Task Another_table_count_is_refused_and_leaves_the_row_key_layout_unknown()
    {
        var table = await NewTableAsync();
        Assert.True(await Layout(table, tables: 4).CheckAsync(CancellationToken.None));

        var other = Layout(table, tables: 3);

        Assert.False(await other.CheckAsync(CancellationToken.None));
        Assert.Throws<InvalidOperationException>(() => other.PerGrainRowKeys);
    }

    private GrainStateLayout Layout(string table, int tables) => new(
        _service,
        Options.Create(new StorageOptions { GrainStateTable = table, GrainStateTables = tables }),
        NullLogger<GrainStateLayout>.Instance);

    /// <summary>A fresh table, created as the silo's storage probe creates it before the layout is read.</summary>
    private async Task<string> NewTableAsync()
    {
        var name = $"layout{Guid.NewGuid():N}"[..24];
        await _service.GetTableClient(name).CreateIfNotExistsAsync();
        return name;
    }
}
