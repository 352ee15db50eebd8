using System.Diagnostics;
using Azure.Data.Tables;
using FleetMfa.Load.Measurement;

namespace FleetMfa.Load.Benchmarks;

/// <summary>
/// How a table store's cost per point operation grows with the entities in the table, for the key layout of Orleans'
/// grain storage (a partition per grain, one row key for all grains of a type) against a distinct row key per entity.
/// Azurite scans every entity with the row key it is given, so the shared layout slows down with every grain; this
/// is why grain state is spread over FLEETMFA_GRAIN_STATE_TABLES tables. Talks to storage only, no silo.
/// </summary>
public static class StorageRowKeyBenchmark
{
    public const string Usage = "usage: FleetMfa.Load storage-row-keys --storage CONNECTION_STRING [--counts 1000,5000,10000,20000] [--pairs 1000]";

    private const int Concurrency = 32;

    public static async Task<Figures> RunAsync(string connectionString, IReadOnlyList<int> counts, int pairs, CancellationToken cancellationToken)
    {
        var figures = new Figures();
        var service = new TableServiceClient(connectionString);
        foreach (var (layout, rowKey) in new (string, Func<int, string>)[] { ("shared", _ => "device"), ("distinct", i => $"r{i}") })
        {
            var table = service.GetTableClient($"rowkeybench{layout}{Guid.NewGuid():N}"[..40]);
            await table.CreateAsync(cancellationToken);
            try
            {
                var stored = 0;
                var payload = new byte[600];
                foreach (var count in counts.Order())
                {
                    await Parallel.ForEachAsync(Enumerable.Range(stored, count - stored), Options(cancellationToken), async (i, ct) =>
                        await table.UpsertEntityAsync(new TableEntity(Partition(i), rowKey(i)) { ["Data"] = payload }, TableUpdateMode.Replace, ct));
                    stored = count;

                    // Read and conditionally replace, as a grain does: the last `pairs` entities, each once.
                    var clock = Stopwatch.StartNew();
                    await Parallel.ForEachAsync(Enumerable.Range(count - Math.Min(pairs, count), Math.Min(pairs, count)), Options(cancellationToken), async (i, ct) =>
                    {
                        var entity = (await table.GetEntityAsync<TableEntity>(Partition(i), rowKey(i), cancellationToken: ct)).Value;
                        await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, ct);
                    });
                    var perSecond = Math.Min(pairs, count) / clock.Elapsed.TotalSeconds;
                    Progress.Say($"{layout} row key, {count} entities: {perSecond:F0} read+write pairs/s");
                    figures.Add($"{layout}_{count}_pairs_per_s", perSecond, 0);
                }
            }
            finally
            {
                await table.DeleteAsync(CancellationToken.None);
            }
        }

        return figures;
    }

    private static string Partition(int i) => $"fleetmfa_device_bench_host-{i}";

    private static ParallelOptions Options(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken };
}
