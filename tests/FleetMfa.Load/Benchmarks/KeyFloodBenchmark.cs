using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using FleetMfa.Load.Measurement;
using FleetMfa.Protocol.Tls;
using FleetMfa.Testing.Fleet;
using FleetMfa.Testing.Network;

namespace FleetMfa.Load.Benchmarks;

/// <summary>
/// <c>key-flood</c> (issue 17), against a silo with its default rate limits: <c>--requests</c> (default 10,000)
/// with random, well-formed operator keys (<c>GET …/devices</c>) and connect keys (<c>POST /api/agent/enroll</c>) for
/// random orgs, from 16 loopback addresses (127.0.7.1–16), <c>--concurrency</c> (at most 64) at a time, while the admin,
/// from an address of its own (127.0.6.200), reads <c>--org</c> ten times a second. Figures: the flood's statuses
/// and rate, and the admin call's latency before the flood (p50/p99) and during it (p50/p99/max, and how many were not
/// 200).
/// </summary>
public static class KeyFloodBenchmark
{
    private const int Sources = 16;
    private const int AdminCallsPerSecond = 10;

    public static async Task<Figures> RunAsync(LoadOptions options, FleetClient api, CancellationToken cancellationToken)
    {
        var org = options.Org;
        var requests = options.Requests;
        var concurrency = Math.Min(options.Concurrency, 64);
        await api.PutAsync($"/api/orgs/{org}", new { name = "Key flood" }, cancellationToken);
        using var admin = LoopbackSource.Client(options.Api, LoopbackSource.Address(6, 200), connections: 1);
        var clients = Enumerable.Range(1, Sources).Select(i => LoopbackSource.Client(options.Api, LoopbackSource.Address(7, i), Math.Max(1, concurrency / Sources))).ToArray();

        // Random connect keys go where agents enroll: the HTTPS agent endpoint, trusted through a real key's CA pin.
        var pinned = (string)(await api.PostAsync($"/api/orgs/{org}/connect-keys", null, cancellationToken))["key"]!;
        Require(ConnectKeys.TrySplit(pinned, out _, out var pin) && pin is not null, "the connect key carries no CA pin");
        using var ca = await PinnedCa.FetchAsync(options.Agents, pin!, cancellationToken);
        var agentClients = Enumerable.Range(1, Sources).Select(i => LoopbackSource.Client(options.Agents, LoopbackSource.Address(7, i), Math.Max(1, concurrency / Sources), ca)).ToArray();
        try
        {
            // Warm-up (JIT, the org's grain), then the admin's latency with nothing else going on. The admin calls
            // AdminCallsPerSecond times a second, within its key's default limit (1,200 a minute).
            using var pace = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / AdminCallsPerSecond));
            var baseline = new List<double>();
            for (var i = 0; i < 120 && await pace.WaitForNextTickAsync(cancellationToken); i++)
            {
                var (status, ms) = await TimeAsync(admin, HttpMethod.Get, $"/api/orgs/{org}", options.AdminKey, null, cancellationToken);
                Require(status == HttpStatusCode.OK, $"admin call before the flood: {(int)status}");
                if (i >= 20)
                {
                    baseline.Add(ms);
                }
            }

            var statuses = new ConcurrentDictionary<HttpStatusCode, int>();
            using var flooding = new CancellationTokenSource();
            var during = new List<double>();
            var failed = 0;
            var adminLoop = Task.Run(
                async () =>
                {
                    while (!flooding.IsCancellationRequested && await pace.WaitForNextTickAsync(cancellationToken))
                    {
                        var (status, ms) = await TimeAsync(admin, HttpMethod.Get, $"/api/orgs/{org}", options.AdminKey, null, cancellationToken);
                        during.Add(ms);
                        failed += status == HttpStatusCode.OK ? 0 : 1;
                    }
                },
                cancellationToken);

            var clock = Stopwatch.StartNew();
            await Parallel.ForEachAsync(
                Enumerable.Range(0, requests),
                new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
                async (i, ct) =>
                {
                    var client = clients[i % Sources];
                    var randomOrg = $"org-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
                    var (status, _) = i % 4 == 3
                        ? await TimeAsync(agentClients[i % Sources], HttpMethod.Post, "/api/agent/enroll", null, EnrollBody(RandomKey("fmc", randomOrg)), ct)
                        : await TimeAsync(client, HttpMethod.Get, $"/api/orgs/{randomOrg}/devices", RandomKey("fmk", randomOrg), null, ct);
                    statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                });
            var seconds = clock.Elapsed.TotalSeconds;
            await flooding.CancelAsync();
            await adminLoop;
            Progress.Say($"flood: {requests} requests in {seconds:F1} s ({string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{(int)s.Key}: {s.Value}"))}); admin: {during.Count} calls during it");

            return new Figures()
                .Add("requests", requests)
                .Add("seconds", seconds, 1)
                .Add("requests_per_s", requests / seconds, 0)
                .Add("status_429", statuses.GetValueOrDefault(HttpStatusCode.TooManyRequests))
                .Add("status_401", statuses.GetValueOrDefault(HttpStatusCode.Unauthorized))
                .Add("status_other", statuses.Where(s => s.Key is not (HttpStatusCode.TooManyRequests or HttpStatusCode.Unauthorized)).Sum(s => s.Value))
                .Add("admin_before_p50_ms", Percentiles.Of(baseline, 50), 2)
                .Add("admin_before_p99_ms", Percentiles.Of(baseline, 99), 2)
                .Add("admin_calls", during.Count)
                .Add("admin_not_ok", failed)
                .Add("admin_p50_ms", Percentiles.Of(during, 50), 2)
                .Add("admin_p99_ms", Percentiles.Of(during, 99), 2)
                .Add("admin_max_ms", during.Count == 0 ? 0 : during.Max(), 2);
        }
        finally
        {
            foreach (var client in clients.Concat(agentClients))
            {
                client.Dispose();
            }
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    private static string RandomKey(string prefix, string orgId) =>
        $"{prefix}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}_{orgId}";

    private static string EnrollBody(string connectKey) =>
        $$"""{"connectKey":"{{connectKey}}","hostname":"flood","os":"linux","osVersion":"Debian 13","publicKey":"AAAA","csr":"AAAA"}""";

    private static async Task<(HttpStatusCode Status, double Ms)> TimeAsync(
        HttpClient client, HttpMethod method, string path, string? key, string? json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        var started = Stopwatch.GetTimestamp();
        using var response = await client.SendAsync(request, cancellationToken);
        await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return (response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}
