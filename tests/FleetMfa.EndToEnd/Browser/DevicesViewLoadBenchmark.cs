using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using FleetMfa.EndToEnd.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace FleetMfa.EndToEnd.Browser;

/// <summary>
/// How long the devices view takes to load in Chromium for an org of N devices (deploy/bench-dashboard.sh N): seeds N
/// pre-registered devices through the API, then times, in the browser, a full page load of the devices view (navigation
/// start to the first page of rows rendered), the next page, and a filter that matches few devices (from the action
/// to the rows rendered, by the page's own clock). Prints the figures
/// and writes them to <c>$FLEETMFA_TEST_RESULTS/dashboard-bench.txt</c>.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class DevicesViewLoadBenchmark(EndToEndFixture fixture, ITestOutputHelper output)
{
    private const int Runs = 5;
    private const int SeedConcurrency = 48;
    private static readonly string[] Statuses = ["pending", "failed", "enabled", "disabled"];

    [BenchmarkFact]
    public async Task Devices_view_load_time()
    {
        var report = new StringBuilder();
        void Say(string line)
        {
            output.WriteLine(line);
            report.AppendLine(line);
        }

        // Either a silo of the benchmark's own, seeded here, or one that already holds the org (deploy/bench.sh scale
        // measures the org its 100,000 registered devices live in): FLEETMFA_DASHBOARD_BENCH_URL, _KEY and _ORG.
        var (baseAddress, adminKey) = Environment.GetEnvironmentVariable("FLEETMFA_DASHBOARD_BENCH_URL") is { Length: > 0 } url
            ? (new Uri(url), Environment.GetEnvironmentVariable("FLEETMFA_DASHBOARD_BENCH_KEY") ?? throw new InvalidOperationException("FLEETMFA_DASHBOARD_BENCH_KEY: the admin key of the silo at FLEETMFA_DASHBOARD_BENCH_URL"))
            : (fixture.Silo.BaseAddress, fixture.Silo.AdminKey);
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
        var admin = new ApiClient(http, adminKey);
        var orgId = Environment.GetEnvironmentVariable("FLEETMFA_DASHBOARD_BENCH_ORG") is { Length: > 0 } given ? given : TestIds.Unique("bench");
        if (baseAddress == fixture.Silo.BaseAddress)
        {
            var count = int.Parse(Environment.GetEnvironmentVariable(BenchmarkFactAttribute.DevicesVariable)!, CultureInfo.InvariantCulture);
            await admin.CreateOrgAsync(orgId);

            // A time budget for seeding (FLEETMFA_DASHBOARD_BENCH_SEED_MINUTES): on a busy machine the org is measured
            // at the size reached, and the report says which.
            var budget = Environment.GetEnvironmentVariable("FLEETMFA_DASHBOARD_BENCH_SEED_MINUTES") is { Length: > 0 } minutes
                ? TimeSpan.FromMinutes(double.Parse(minutes, CultureInfo.InvariantCulture))
                : TimeSpan.FromHours(4);
            var seeding = Stopwatch.StartNew();
            var seeded = await SeedAsync(http, orgId, count, DateTimeOffset.UtcNow + budget);
            seeding.Stop();
            Say($"seeded {seeded} of {count} devices in {seeding.Elapsed.TotalSeconds:F0} s ({seeded / seeding.Elapsed.TotalSeconds:F1}/s, {SeedConcurrency} concurrent PUTs, budget {budget.TotalMinutes:F0} min)");
        }

        var devices = (await admin.GetAsync($"/api/orgs/{orgId}")).Ok()["devices"]!;
        var total = (int)devices["total"]!;
        Say($"org {orgId} at {baseAddress}: {total} devices");

        // The filter timed below is the MFA status held by the fewest devices (few or none match: the shards walk
        // their whole index), and the page from the middle starts after the middle page's first id.
        var rarest = Statuses.MinBy(status => (int)devices[status]!)!;
        var firstPage = (await admin.GetAsync($"/api/orgs/{orgId}/devices?limit={DashboardDevicesPageSize}")).Ok();
        var secondPageFirstId = await FirstIdAfterAsync(admin, orgId, (string)firstPage["nextCursor"]!);
        var middle = await MiddleCursorAsync(admin, orgId, total);

        // The API alone: one page of the listing and the org summary (counts over the 64 shards).
        var listMs = await TimeAsync(() => admin.GetAsync($"/api/orgs/{orgId}/devices?limit={DashboardDevicesPageSize}"));
        var pagedMs = await TimeAsync(() => admin.GetAsync($"/api/orgs/{orgId}/devices?limit={DashboardDevicesPageSize}&cursor={Uri.EscapeDataString(middle)}"));
        var filteredMs = await TimeAsync(() => admin.GetAsync($"/api/orgs/{orgId}/devices?limit={DashboardDevicesPageSize}&mfa={rarest}"));
        var summaryMs = await TimeAsync(() => admin.GetAsync($"/api/orgs/{orgId}"));
        Say($"api GET devices?limit=50: median {Median(listMs):F0} ms, max {listMs.Max():F0} ms");
        Say($"api GET devices?limit=50&cursor=(middle): median {Median(pagedMs):F0} ms, max {pagedMs.Max():F0} ms");
        Say($"api GET devices?limit=50&mfa={rarest} ({(int)devices[rarest]!} match): median {Median(filteredMs):F0} ms, max {filteredMs.Max():F0} ms");
        Say($"api GET org (summary + counts): median {Median(summaryMs):F0} ms, max {summaryMs.Max():F0} ms");

        await using var browser = await DashboardBrowser.LaunchAsync(baseAddress);
        var page = browser.Page;
        await browser.SignInAsync(adminKey, orgId);
        var loads = new List<double>();
        for (var i = 0; i < Runs; i++)
        {
            // A full page load with the key already in the tab: HTML, scripts, then the first page of rows.
            await page.ReloadAsync();
            await page.WaitForSelectorAsync("body[data-devices-loaded='true']");
            loads.Add(await page.EvaluateAsync<double>("() => performance.getEntriesByName('fleetmfa-devices-rendered')[0].startTime"));
        }

        Say($"chromium devices view load (navigation start -> first {DashboardDevicesPageSize} rows rendered), {Runs} runs: median {Median(loads):F0} ms, max {loads.Max():F0} ms");
        await Assertions.Expect(page.Locator("[data-count='total']")).ToHaveTextAsync(total.ToString("N0", CultureInfo.InvariantCulture));
        await browser.ScreenshotAsync($"devices-{total}");

        // Each timed step is undone untimed before the next run: back to the first page, the filter cleared.
        var firstId = (string)firstPage["items"]![0]!["deviceId"]!;
        var nexts = new List<double>();
        var filters = new List<double>();
        for (var i = 0; i < Runs; i++)
        {
            nexts.Add(await TimeInPageAsync(page, "#next-page", secondPageFirstId));
            await TimeInPageAsync(page, "#prev-page", firstId);
        }

        Say($"chromium next page, {Runs} runs: median {Median(nexts):F0} ms, max {nexts.Max():F0} ms");
        for (var i = 0; i < Runs; i++)
        {
            filters.Add(await TimeFilterAsync(page, rarest));
            await TimeFilterAsync(page, "");
        }

        Say($"chromium filter mfa={rarest}, {Runs} runs: median {Median(filters):F0} ms, max {filters.Max():F0} ms");

        // The last line: the figures as key=value, for deploy/bench.sh.
        Say(string.Create(
            CultureInfo.InvariantCulture,
            $"devices={total} view_load_median_ms={Median(loads):F0} view_load_max_ms={loads.Max():F0} " +
            $"next_page_median_ms={Median(nexts):F0} next_page_max_ms={nexts.Max():F0} filter_median_ms={Median(filters):F0} filter_max_ms={filters.Max():F0} filter={rarest} " +
            $"api_page_median_ms={Median(listMs):F0} api_page_max_ms={listMs.Max():F0} api_filter_median_ms={Median(filteredMs):F0} " +
            $"api_summary_median_ms={Median(summaryMs):F0} api_summary_max_ms={summaryMs.Max():F0}"));
        var file = Path.Combine(Path.GetDirectoryName(Screenshots.Directory)!, "dashboard-bench.txt");
        await File.WriteAllTextAsync(file, report.ToString());
        output.WriteLine($"written to {file}");
    }

    private static async Task<string> FirstIdAfterAsync(ApiClient admin, string orgId, string cursor) =>
        (string)(await admin.GetAsync($"/api/orgs/{orgId}/devices?limit=1&cursor={Uri.EscapeDataString(cursor)}")).Ok()["items"]![0]!["deviceId"]!;

    /// <summary>A cursor about half-way through the org: pages walked from the start (done once, not timed).</summary>
    private static async Task<string> MiddleCursorAsync(ApiClient admin, string orgId, int total)
    {
        var limit = Math.Clamp(total / 2, 1, 500);
        string? cursor = null;
        for (var seen = 0; seen < total / 2;)
        {
            var page = (await admin.GetAsync($"/api/orgs/{orgId}/devices?limit={limit}{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}")).Ok();
            var next = (string?)page["nextCursor"];
            if (next is null)
            {
                break;
            }

            seen += page["items"]!.AsArray().Count;
            cursor = next;
        }

        return cursor ?? throw new InvalidOperationException($"org {orgId} has no second page");
    }

    private const int DashboardDevicesPageSize = 50;

    private async Task<int> SeedAsync(HttpClient http, string orgId, int count, DateTimeOffset until)
    {
        using var seed = new HttpClient { BaseAddress = http.BaseAddress, Timeout = http.Timeout };
        seed.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Silo.AdminKey);
        var next = 0;
        var done = 0;
        var workers = Enumerable.Range(0, SeedConcurrency).Select(async _ =>
        {
            while (DateTimeOffset.UtcNow < until && Interlocked.Increment(ref next) is var i && i <= count)
            {
                var (os, version) = (i % 3) switch { 0 => ("linux", "12.5"), 1 => ("macos", "14.5"), _ => ("windows", "10.0.19045") };
                var id = $"dev-{i:D6}";
                using var put = await seed.PutAsync(
                    new Uri($"/api/orgs/{orgId}/devices/{id}", UriKind.Relative),
                    new StringContent($"{{\"hostname\":\"{id}\",\"os\":\"{os}\",\"osVersion\":\"{version}\"}}", Encoding.UTF8, "application/json"));
                put.EnsureSuccessStatusCode();

                // One device in a thousand gets MFA on (pending without an agent): a filter that matches few.
                if (i % 1000 == 0)
                {
                    using var enable = await seed.PostAsync(new Uri($"/api/orgs/{orgId}/devices/{id}/mfa/enable", UriKind.Relative), null);
                    enable.EnsureSuccessStatusCode();
                }

                if (Interlocked.Increment(ref done) % 10_000 == 0)
                {
                    output.WriteLine($"  {done} seeded");
                }
            }
        });
        await Task.WhenAll(workers);
        return done;
    }

    private static async Task<List<double>> TimeAsync(Func<Task<ApiResponse>> call)
    {
        await call();
        var times = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var watch = Stopwatch.StartNew();
            (await call()).Ok();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        return times;
    }

    /// <summary>
    /// From the click on <paramref name="button"/>, dispatched in the page, to the render of the page of rows that
    /// starts with <paramref name="firstId"/>: measured with the page's own clock, so what Playwright adds to drive
    /// the browser is not in it.
    /// </summary>
    private static Task<double> TimeInPageAsync(IPage page, string button, string firstId) =>
        TimeRenderAsync(page, $"document.querySelector('{button}').click()", "d => d.first === arg", firstId);

    /// <summary>From choosing <paramref name="status"/> in the MFA filter to the render of the filtered rows (or of "none match").</summary>
    private static Task<double> TimeFilterAsync(IPage page, string status) =>
        TimeRenderAsync(
            page,
            "(() => { const s = document.querySelector('#filter-mfa'); s.value = arg; s.dispatchEvent(new Event('change')); })()",
            "d => d.mfa === arg",
            status);

    private static async Task<double> TimeRenderAsync(IPage page, string action, string rendered, string arg)
    {
        var start = await page.EvaluateAsync<double>($"arg => {{ const t = performance.now(); {action}; return t; }}", arg);
        var script = $"([arg, start]) => (globalThis.fleetmfaRowsRendered ?? []).find(r => r.at > start && ({rendered})(r))?.at ?? null";
        var handle = await page.WaitForFunctionAsync(script, new object[] { arg, start });
        return await handle.JsonValueAsync<double>() - start;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
