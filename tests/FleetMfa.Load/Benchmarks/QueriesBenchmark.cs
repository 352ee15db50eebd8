using System.Diagnostics;
using FleetMfa.Load.Fleet;
using FleetMfa.Load.Measurement;
using FleetMfa.Testing.Fleet;

namespace FleetMfa.Load.Benchmarks;

/// <summary>
/// <c>queries</c> over a <c>register</c>ed org: device-detail reads (random devices, <c>--concurrency</c> at a time):
/// reads/s and latency; the whole device list walked in pages of 100, one request at a time: p50/p99 per page; the
/// org summary (settings + counts by MFA status over every device): p50/p99.
/// </summary>
public static class QueriesBenchmark
{
    public static async Task<Figures> RunAsync(LoadOptions options, FleetClient api, CancellationToken cancellationToken)
    {
        var org = options.Org;
        var ids = await api.ListDeviceIdsAsync(org, cancellationToken);
        var samples = Math.Min(options.Samples, 10_000);

        // Warm-up: every path JIT-compiled and the index shards active before anything is timed.
        for (var i = 0; i < 20; i++)
        {
            await api.GetAsync($"/api/orgs/{org}", cancellationToken);
            await api.GetAsync($"/api/orgs/{org}/devices?limit=100", cancellationToken);
            await api.GetAsync($"/api/orgs/{org}/devices/{ids[i % ids.Count]}", cancellationToken);
        }

        var picks = Enumerable.Range(0, samples * 5).Select(_ => ids[Random.Shared.Next(ids.Count)]).ToArray();
        var detail = new double[picks.Length];
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, picks.Length),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Min(options.Concurrency, 32), CancellationToken = cancellationToken },
            async (i, ct) => detail[i] = await TimeAsync(() => api.GetAsync($"/api/orgs/{org}/devices/{picks[i]}", ct)));
        var detailSeconds = clock.Elapsed.TotalSeconds;
        Progress.Say($"device detail: {picks.Length} reads in {detailSeconds:F1} s");

        var pages = new List<double>();
        string? cursor = null;
        do
        {
            var started = Stopwatch.GetTimestamp();
            var page = await api.GetAsync($"/api/orgs/{org}/devices?limit=100{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}", cancellationToken);
            pages.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            cursor = (string?)page["nextCursor"];
        }
        while (cursor is not null && pages.Count < samples);
        Progress.Say($"listing: {pages.Count} pages of 100");

        var summaries = new List<double>();
        var summaryCount = Math.Min(samples, 500);
        for (var i = 0; i < summaryCount; i++)
        {
            summaries.Add(await TimeAsync(() => api.GetAsync($"/api/orgs/{org}", cancellationToken)));
        }

        return new Figures()
            .Add("devices", ids.Count)
            .Add("detail_reads_per_s", picks.Length / detailSeconds, 0)
            .Add("detail_p50_ms", Percentiles.Of(detail, 50), 2)
            .Add("detail_p99_ms", Percentiles.Of(detail, 99), 2)
            .Add("page100_p50_ms", Percentiles.Of(pages, 50), 2)
            .Add("page100_p99_ms", Percentiles.Of(pages, 99), 2)
            .Add("summary_p50_ms", Percentiles.Of(summaries, 50), 2)
            .Add("summary_p99_ms", Percentiles.Of(summaries, 99), 2)
            .Add("pages", pages.Count)
            .Add("summaries", summaries.Count);
    }

    private static async Task<double> TimeAsync(Func<Task> call)
    {
        var started = Stopwatch.GetTimestamp();
        await call();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }
}
