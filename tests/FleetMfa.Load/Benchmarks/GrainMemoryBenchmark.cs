using FleetMfa.Load.Fleet;
using FleetMfa.Load.Measurement;
using FleetMfa.Testing.Fleet;

namespace FleetMfa.Load.Benchmarks;

/// <summary>
/// <c>grain-memory</c>: on a freshly started silo (no device grain active yet), the silo's memory before and after
/// activating every device grain of a <c>register</c>ed org (one device-detail read each). Memory is the resident set
/// (<c>/proc/PID/status</c>) and, when <c>--heap-command</c> names a script that prints the GC heap after a full
/// collection in bytes, the managed heap as well.
/// </summary>
public static class GrainMemoryBenchmark
{
    public static async Task<Figures> RunAsync(LoadOptions options, FleetClient api, CancellationToken cancellationToken)
    {
        if (options.SiloPid <= 0)
        {
            throw new ArgumentException("--silo-pid is required");
        }

        var org = options.Org;
        var ids = await api.ListDeviceIdsAsync(org, cancellationToken);
        await api.GetAsync($"/api/orgs/{org}", cancellationToken);
        var rssBefore = ResidentKib(options.SiloPid);
        var heapBefore = await HeapBytesAsync(options, cancellationToken);
        await Progress.ForEachAsync(
            "device grains activated",
            ids,
            Math.Min(options.Concurrency, 32),
            async (id, ct) => await api.GetAsync($"/api/orgs/{org}/devices/{id}", ct),
            cancellationToken);
        var rssAfter = ResidentKib(options.SiloPid);
        var heapAfter = await HeapBytesAsync(options, cancellationToken);

        var figures = new Figures()
            .Add("devices", ids.Count)
            .Add("rss_before_mib", rssBefore / 1024.0, 0)
            .Add("rss_after_mib", rssAfter / 1024.0, 0)
            .Add("rss_bytes_per_grain", (rssAfter - rssBefore) * 1024.0 / ids.Count, 0);
        if (heapBefore is { } hb && heapAfter is { } ha)
        {
            figures
                .Add("heap_before_mib", hb / 1048576.0, 0)
                .Add("heap_after_mib", ha / 1048576.0, 0)
                .Add("heap_bytes_per_grain", (ha - hb) / (double)ids.Count, 0);
        }

        return figures;
    }

    private static long ResidentKib(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<long?> HeapBytesAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        if (options.Optional("heap-command") is not { } command)
        {
            return null;
        }

        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(command, $"{options.SiloPid}") { RedirectStandardOutput = true })!;
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        Progress.Say($"heap: {output.Trim()}");
        return process.ExitCode == 0 && long.TryParse(output.Trim().Split('\n')[^1], out var bytes) ? bytes : null;
    }
}
