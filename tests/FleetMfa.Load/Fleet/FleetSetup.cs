using FleetMfa.Testing.Fleet;

namespace FleetMfa.Load.Fleet;

/// <summary>
/// The steps the benchmarks share beyond their org (<see cref="TestOrg"/>): metrics, MFA switched on per device or by
/// rollout, server errors retried, the org's device ids.
/// </summary>
public static class FleetSetup
{
    /// <summary>
    /// The sum of every series of the counter <paramref name="name"/> in the silo's <c>/metrics</c> (Prometheus text
    /// format, the admin key's), 0 before the counter has any.
    /// </summary>
    public static async Task<double> MetricAsync(this FleetClient api, string name, CancellationToken cancellationToken)
    {
        var sum = 0.0;
        foreach (var line in (await api.GetTextAsync("/metrics", cancellationToken)).Split('\n'))
        {
            var end = line.IndexOfAny(['{', ' ']);
            if (end > 0 && line.AsSpan(0, end).SequenceEqual(name))
            {
                sum += double.Parse(line.AsSpan(line.LastIndexOf(' ') + 1), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    /// <summary>
    /// Switches MFA on for these devices: one rollout (<c>rollout</c>) or one enable call per device (<c>devices</c>,
    /// <paramref name="concurrency"/> at a time). Returns when the requests are accepted, not when devices acked.
    /// </summary>
    public static async Task EnableMfaAsync(this FleetClient api, string orgId, IReadOnlyList<string> deviceIds, string mode, int concurrency, CancellationToken cancellationToken)
    {
        if (mode == "rollout")
        {
            await api.PostAsync($"/api/orgs/{orgId}/rollouts", new { action = "enable-mfa", filter = new { }, maxConcurrency = 10_000 }, cancellationToken);
            return;
        }

        await Parallel.ForEachAsync(
            deviceIds,
            new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (id, ct) => await api.RetryAsync(() => api.PostAsync($"/api/orgs/{orgId}/devices/{id}/mfa/enable", null, ct)));
    }

    /// <summary>Server errors retried (three attempts), as an operator would; each retry is counted in <see cref="Retries"/>.</summary>
    public static async Task<T> RetryAsync<T>(this FleetClient api, Func<Task<T>> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (HttpRequestException ex) when (attempt < 3 && ex.Message.Contains("-> 5", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _retries);
                Measurement.Progress.Say($"retrying after a server error: {ex.Message[..Math.Min(ex.Message.Length, 160)]}");
            }
        }
    }

    private static int _retries;

    /// <summary>Server errors retried so far in this process.</summary>
    public static int Retries => Volatile.Read(ref _retries);

    /// <summary>Every device id of the org, in pages of 500 (the listing's maximum).</summary>
    public static async Task<IReadOnlyList<string>> ListDeviceIdsAsync(this FleetClient api, string orgId, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var page = await api.GetAsync($"/api/orgs/{orgId}/devices?limit=500{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}", cancellationToken);
            ids.AddRange(page["items"]!.AsArray().Select(item => (string)item!["deviceId"]!));
            cursor = (string?)page["nextCursor"];
        }
        while (cursor is not null);
        return ids;
    }
}
