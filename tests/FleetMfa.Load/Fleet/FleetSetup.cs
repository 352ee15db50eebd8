using System.Text.Json.Nodes;
using OtpNet;

namespace FleetMfa.Load.Fleet;

/// <summary>The set-up steps the benchmarks share: an org, a connect key, an enrolled user, MFA switched on per device or by rollout.</summary>
public static class FleetSetup
{
    public static async Task CreateOrgAsync(this FleetClient api, string orgId, bool totp, CancellationToken cancellationToken)
    {
        await api.PutAsync($"/api/orgs/{orgId}", new { name = $"Load {orgId}" }, cancellationToken);
        await api.PutAsync($"/api/orgs/{orgId}/mfa/totp", new { enabled = totp }, cancellationToken);
    }

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

    public static async Task<string> CreateConnectKeyAsync(this FleetClient api, string orgId, CancellationToken cancellationToken) =>
        (string)(await api.PostAsync($"/api/orgs/{orgId}/connect-keys", null, cancellationToken))["key"]!;

    /// <summary>A user whose TOTP setup is complete: enrolled, then confirmed with the current code computed from the secret.</summary>
    public static async Task CreateEnrolledUserAsync(this FleetClient api, string orgId, string userId, CancellationToken cancellationToken)
    {
        await api.PutAsync($"/api/orgs/{orgId}/users/{userId}", new { username = userId }, cancellationToken);
        var secret = (string)(await api.PostAsync($"/api/orgs/{orgId}/users/{userId}/totp/enroll", null, cancellationToken))["secret"]!;
        var code = new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(DateTime.UtcNow);
        var user = await api.PostAsync($"/api/orgs/{orgId}/users/{userId}/totp/confirm", new { code }, cancellationToken);
        if ((string?)user["totpStatus"] != "enrolled")
        {
            throw new InvalidOperationException($"user {userId} is not enrolled after confirmation: {user.ToJsonString()}");
        }
    }

    public static async Task<JsonNode> DeviceCountsAsync(this FleetClient api, string orgId, CancellationToken cancellationToken) =>
        (await api.GetAsync($"/api/orgs/{orgId}", cancellationToken))["devices"]!;

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
