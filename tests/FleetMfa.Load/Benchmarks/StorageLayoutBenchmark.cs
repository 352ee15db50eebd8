using System.Diagnostics;
using Azure.Data.Tables;
using FleetMfa.Load.Measurement;

namespace FleetMfa.Load.Benchmarks;

/// <summary>
/// How a table store's cost per operation grows with the entities in a table, for the silo's key layouts: grain state
/// (a partition per grain) with Orleans' own row key (the state name, one for all grains of a type) or a row key per
/// grain, and the device index (a partition per org and index shard, a row per device), each in one table and spread
/// over <see cref="SpreadTables"/>. Every layout grows to each count before any is measured at it, so they share the
/// store's state and the machine's load. With Azurite's process id it also reports Azurite's CPU per operation, which
/// other work on the machine disturbs less than the rate. Talks to storage only, no silo.
/// </summary>
public static class StorageLayoutBenchmark
{
    public const string Usage = "usage: FleetMfa.Load storage-layout --storage CONNECTION_STRING [--azurite-pid PID] [--counts 1000,10000,20000,50000,100000] [--operations 1000]";

    /// <summary>The spread compared with one table.</summary>
    public const int SpreadTables = 16;

    /// <summary>
    /// Orleans' own row key is measured up to this many entities only: it managed 24 read+write pairs/s at 20,000
    /// (RESULTS.md), so larger tables would take minutes to show what is already clear.
    /// </summary>
    private const int SharedRowKeyMaxCount = 20_000;

    private const int Concurrency = 32;
    private const int IndexShards = 64;
    private const int RowsPerTransaction = 10;
    private const int FillRowsPerTransaction = 100;

    public static async Task<Figures> RunAsync(string connectionString, int? azuritePid, IReadOnlyList<int> counts, int operations, CancellationToken cancellationToken)
    {
        var figures = new Figures();
        var service = new TableServiceClient(connectionString);
        Layout[] layouts =
        [
            new GrainLayout("shared", 1, _ => "device", SharedRowKeyMaxCount),
            new GrainLayout("grain", 1, i => $"device-{i:x8}", int.MaxValue),
            new GrainLayout($"grain{SpreadTables}", SpreadTables, i => $"device-{i:x8}", int.MaxValue),
            new IndexLayout("index", 1),
            new IndexLayout($"index{SpreadTables}", SpreadTables),
        ];
        var tables = layouts.ToDictionary(
            layout => layout,
            layout => Enumerable.Range(0, layout.Tables).Select(i => service.GetTableClient($"bench{layout.Name}{Guid.NewGuid():N}"[..32] + $"{i:D2}")).ToArray());
        try
        {
            await Task.WhenAll(tables.Values.SelectMany(t => t).Select(t => t.CreateAsync(cancellationToken)));
            var stored = 0;
            foreach (var count in counts.Order())
            {
                var measured = layouts.Where(l => count <= l.MaxCount).ToArray();
                foreach (var layout in measured)
                {
                    await layout.FillAsync(tables[layout], stored, count, cancellationToken);
                }

                foreach (var layout in measured)
                {
                    foreach (var (figure, done, run) in layout.Work(tables[layout], count, Math.Min(operations, count), cancellationToken))
                    {
                        if (stored == 0)
                        {
                            // Warm-up: the first run of each kind of request pays the JIT in this process and in Azurite.
                            await run();
                        }

                        var cpu = azuritePid is { } warm ? CpuSampler.Seconds(warm) : double.NaN;
                        var clock = Stopwatch.StartNew();
                        await run();
                        var perSecond = done / clock.Elapsed.TotalSeconds;
                        figures.Add($"{layout.Name}_{count}_{figure}_per_s", perSecond, 0);
                        var cpuMs = azuritePid is { } pid ? (CpuSampler.Seconds(pid) - cpu) * 1000 / done : double.NaN;
                        if (!double.IsNaN(cpuMs))
                        {
                            figures.Add($"{layout.Name}_{count}_{figure}_azurite_cpu_ms", cpuMs, 2);
                        }

                        Progress.Say($"{layout.Name}, {count} entities: {perSecond:F0} {figure}/s, Azurite CPU {cpuMs:F2} ms each");
                    }
                }

                stored = count;
            }
        }
        finally
        {
            await Task.WhenAll(tables.Values.SelectMany(t => t).Select(t => t.DeleteAsync(CancellationToken.None)));
        }

        return figures;
    }

    private static ParallelOptions Options(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken };

    /// <summary>A key layout over <see cref="Tables"/> tables, measured up to <see cref="MaxCount"/> entities.</summary>
    private abstract record Layout(string Name, int Tables, int MaxCount)
    {
        /// <summary>Stores entities <paramref name="from"/> to <paramref name="to"/> (exclusive).</summary>
        public abstract Task FillAsync(TableClient[] tables, int from, int to, CancellationToken cancellationToken);

        /// <summary>What is measured over the last <paramref name="operations"/> of <paramref name="count"/> entities: a figure, how many it does, the work.</summary>
        public abstract IEnumerable<(string Figure, int Done, Func<Task> Run)> Work(TableClient[] tables, int count, int operations, CancellationToken cancellationToken);
    }

    /// <summary>Grain state as Orleans' Azure Table storage keeps it: a partition per grain (grain <c>i</c> in table <c>i mod tables</c>).</summary>
    private sealed record GrainLayout(string Name, int Tables, Func<int, string> RowKey, int MaxCount) : Layout(Name, Tables, MaxCount)
    {
        private static readonly byte[] _payload = new byte[600];

        public override Task FillAsync(TableClient[] tables, int from, int to, CancellationToken cancellationToken) =>
            Parallel.ForEachAsync(Enumerable.Range(from, to - from), Options(cancellationToken), async (i, ct) =>
                await tables[i % tables.Length].UpsertEntityAsync(new TableEntity(Partition(i), RowKey(i)) { ["Data"] = _payload }, TableUpdateMode.Replace, ct));

        /// <summary>Reads and conditionally replaces each entity once, as a grain does.</summary>
        public override IEnumerable<(string, int, Func<Task>)> Work(TableClient[] tables, int count, int operations, CancellationToken cancellationToken)
        {
            yield return ("pairs", operations, () => Parallel.ForEachAsync(Enumerable.Range(count - operations, operations), Options(cancellationToken), async (i, ct) =>
            {
                var table = tables[i % tables.Length];
                var entity = (await table.GetEntityAsync<TableEntity>(Partition(i), RowKey(i), cancellationToken: ct)).Value;
                await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, ct);
            }));
        }

        private static string Partition(int i) => $"fleetmfa_device_bench_host-{i}";
    }

    /// <summary>The device index: a partition per index shard (shard <c>s</c> in table <c>s mod tables</c>), a row per device.</summary>
    private sealed record IndexLayout(string Name, int Tables) : Layout(Name, Tables, int.MaxValue)
    {
        public override Task FillAsync(TableClient[] tables, int from, int to, CancellationToken cancellationToken) =>
            WriteAsync(tables, Enumerable.Range(from, to - from), FillRowsPerTransaction, cancellationToken);

        /// <summary>Rewrites rows in transactions of up to <see cref="RowsPerTransaction"/>, as a shard's group commit does; reads each shard's partition, as an activation does.</summary>
        public override IEnumerable<(string, int, Func<Task>)> Work(TableClient[] tables, int count, int operations, CancellationToken cancellationToken)
        {
            yield return ("rows", operations, () => WriteAsync(tables, Enumerable.Range(count - operations, operations), RowsPerTransaction, cancellationToken));
            yield return ("shard_reads", IndexShards, () => Parallel.ForEachAsync(Enumerable.Range(0, IndexShards), Options(cancellationToken), async (shard, ct) =>
            {
                await foreach (var _ in tables[shard % tables.Length].QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Partition(shard)}"), cancellationToken: ct))
                {
                }
            }));
        }

        private static Task WriteAsync(TableClient[] tables, IEnumerable<int> devices, int rowsPerTransaction, CancellationToken cancellationToken)
        {
            var transactions = devices.GroupBy(i => i % IndexShards).SelectMany(shard => shard.Chunk(rowsPerTransaction).Select(rows => (Shard: shard.Key, Rows: rows)));
            return Parallel.ForEachAsync(transactions, Options(cancellationToken), async (transaction, ct) =>
                await tables[transaction.Shard % tables.Length].SubmitTransactionAsync(
                    transaction.Rows.Select(i => new TableTransactionAction(TableTransactionActionType.UpsertReplace, Row(transaction.Shard, i))), ct));
        }

        private static TableEntity Row(int shard, int device) => new(Partition(shard), $"host-{device:D6}")
        {
            ["Hostname"] = $"host-{device:D6}",
            ["Os"] = "Linux",
            ["MfaDesired"] = true,
            ["MfaStatus"] = "Enabled",
            ["Online"] = true,
            ["LastSeen"] = DateTimeOffset.UnixEpoch,
        };

        private static string Partition(int shard) => $"bench:{shard:D2}";
    }
}
