using System.Diagnostics;

namespace FleetMfa.Load.Measurement;

/// <summary>Progress of long steps on stderr (stdout carries only the figures), at most every few seconds.</summary>
public static class Progress
{
    public static void Say(string message) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");

    /// <summary>Polls <paramref name="done"/> until it reaches <paramref name="total"/>; throws on timeout with the last count.</summary>
    public static async Task<TimeSpan> WaitForAsync(string what, Func<Task<int>> done, int total, TimeSpan timeout, TimeSpan poll, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var lastSaid = TimeSpan.Zero;
        while (true)
        {
            var count = await done();
            if (count >= total)
            {
                return clock.Elapsed;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"{what}: {count}/{total} after {clock.Elapsed.TotalSeconds:F0} s");
            }

            if (clock.Elapsed - lastSaid >= TimeSpan.FromSeconds(5))
            {
                lastSaid = clock.Elapsed;
                Say($"{what}: {count}/{total} ({clock.Elapsed.TotalSeconds:F0} s)");
            }

            await Task.Delay(poll, cancellationToken);
        }
    }

    /// <summary>Runs <paramref name="work"/> over <paramref name="items"/>, <paramref name="concurrency"/> at a time, reporting throughput.</summary>
    public static async Task<TimeSpan> ForEachAsync<T>(string what, IReadOnlyList<T> items, int concurrency, Func<T, CancellationToken, ValueTask> work, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var done = 0;
        using var reporter = new Timer(
            _ => Say($"{what}: {Volatile.Read(ref done)}/{items.Count} ({Volatile.Read(ref done) / Math.Max(clock.Elapsed.TotalSeconds, 0.001):F0}/s)"),
            null,
            TimeSpan.FromSeconds(5),
            TimeSpan.FromSeconds(5));
        await Parallel.ForEachAsync(
            items,
            new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (item, ct) =>
            {
                await work(item, ct);
                Interlocked.Increment(ref done);
            });
        Say($"{what}: {items.Count} in {clock.Elapsed.TotalSeconds:F1} s ({items.Count / Math.Max(clock.Elapsed.TotalSeconds, 0.001):F0}/s)");
        return clock.Elapsed;
    }
}
