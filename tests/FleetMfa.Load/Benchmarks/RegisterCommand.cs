using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FleetMfa.Load.Fleet;
using FleetMfa.Load.Measurement;
using FleetMfa.Testing.Fleet;

namespace FleetMfa.Load.Benchmarks;

/// <summary>
/// <c>register</c>: N devices with an identity but no running agent — each registered through the agents' own
/// <c>POST /api/agent/enroll</c> with a freshly generated P-256 public key (so the control plane seals and publishes
/// for it) and, as the agent does, a signing request for a TLS key (so the CA issues its client certificate; a broker
/// that takes passwords gets an account instead) — and MFA switched on for each, with org TOTP off. The set-up for
/// <c>org-switch</c>, <c>grain-memory</c> and <c>queries</c>. Registrations/s are also given for the first and the last
/// tenth of the devices: a rate that falls with the device count shows there.
/// </summary>
public static class RegisterCommand
{
    public static async Task<Figures> RunAsync(LoadOptions options, FleetClient api, CancellationToken cancellationToken)
    {
        var org = options.Org;
        var connectKey = (await TestOrg.CreateAsync(api, org, totp: false, cancellationToken)).ConnectKey;
        using var agents = await AgentEndpoint.ConnectAsync(options.Agents, connectKey, TimeSpan.FromSeconds(120), cancellationToken);
        var indexes = Enumerable.Range(0, options.Devices).ToArray();
        var failed = 0;
        var finished = new long[indexes.Length];
        var finishedCount = 0;
        var started = Stopwatch.GetTimestamp();
        var enroll = await Progress.ForEachAsync(
            "registered devices",
            indexes,
            options.Concurrency,
            async (i, ct) =>
            {
                using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
                using var tlsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                var request = new
                {
                    connectKey,
                    hostname = $"host-{i:D6}",
                    os = "linux",
                    osVersion = "debian 12",
                    publicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()),
                    csr = Convert.ToBase64String(new CertificateRequest("CN=device", tlsKey, HashAlgorithmName.SHA256).CreateSigningRequest()),
                };
                using var response = await agents.PostAsJsonAsync(new Uri(options.Agents, "/api/agent/enroll"), request, ct);
                if ((int)response.StatusCode >= 500)
                {
                    // Under load the server may fail one; the device list is read back from the API below.
                    Interlocked.Increment(ref failed);
                }
                else if (!response.IsSuccessStatusCode)
                {
                    throw new HttpRequestException($"enroll -> {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
                }

                finished[Interlocked.Increment(ref finishedCount) - 1] = Stopwatch.GetTimestamp();
            },
            cancellationToken);

        var ids = await api.ListDeviceIdsAsync(org, cancellationToken);
        var enable = await Progress.ForEachAsync(
            "MFA switched on",
            ids,
            options.Concurrency,
            async (id, ct) => await api.RetryAsync(() => api.PostAsync($"/api/orgs/{org}/devices/{id}/mfa/enable", null, ct)),
            cancellationToken);
        return new Figures()
            .Add("devices", ids.Count)
            .Add("register_per_s", ids.Count / enroll.TotalSeconds, 0)
            .Add("register_first_tenth_per_s", TenthRate(finished, finishedCount, started, first: true), 0)
            .Add("register_last_tenth_per_s", TenthRate(finished, finishedCount, started, first: false), 0)
            .Add("enable_per_s", ids.Count / enable.TotalSeconds, 0)
            .Add("server_error_retries", FleetSetup.Retries)
            .Add("failed_registrations", failed);
    }

    /// <summary>Registrations/s over the first (or last) tenth of the <paramref name="count"/> completions, by their completion times.</summary>
    private static double TenthRate(long[] finished, int count, long started, bool first)
    {
        var tenth = Math.Max(count / 10, 1);
        if (count < 2)
        {
            return 0;
        }

        var (from, to) = first ? (started, finished[tenth - 1]) : (finished[count - 1 - tenth], finished[count - 1]);
        return tenth / Math.Max(Stopwatch.GetElapsedTime(from, to).TotalSeconds, 0.001);
    }
}
