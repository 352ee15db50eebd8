using System.Net;
using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>Listing an org's devices: cursor paging returns each device exactly once; filters and counts agree.</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class DeviceListingTests(EndToEndFixture fixture) : IAsyncLifetime
{
    private const int DeviceCount = 120;
    private static readonly string[] Systems = ["linux", "macos", "windows"];

    // One fleet for all tests of this class: registering it is the slow part.
    private static readonly OncePerSilo<string> Fleet = new(RegisterFleetAsync);

    private string _org = "";

    private ApiClient Admin => fixture.Silo.Admin;

    private static IEnumerable<int> Devices => Enumerable.Range(0, DeviceCount);

    public async Task InitializeAsync() => _org = await Fleet.GetAsync(fixture.Silo);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Paging_with_a_cursor_returns_every_device_exactly_once_in_id_order()
    {
        var seen = new List<string>();
        var pages = 0;
        string? cursor = null;
        do
        {
            var page = (await Admin.GetAsync($"/api/orgs/{_org}/devices?limit=50{(cursor is null ? "" : $"&cursor={cursor}")}")).Ok();
            var items = page["items"]!.AsArray();
            Assert.InRange(items.Count, 1, 50);
            seen.AddRange(items.Select(d => (string)d!["deviceId"]!));
            cursor = (string?)page["nextCursor"];
            pages++;
            Assert.True(pages <= 3, $"more pages than {DeviceCount} devices need at 50 a page; seen {seen.Count}");
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(Devices.Select(DeviceId), seen);
    }

    [Fact]
    public async Task Rows_carry_the_device_hostname_os_and_MFA_status()
    {
        var page = (await Admin.GetAsync($"/api/orgs/{_org}/devices?limit=500")).Ok();
        var rows = page["items"]!.AsArray();

        Assert.Equal(DeviceCount, rows.Count);
        Assert.Null((string?)page["nextCursor"]);
        foreach (var (row, i) in rows.Select((r, i) => (r!, i)))
        {
            Assert.Equal(DeviceId(i), (string?)row["deviceId"]);
            Assert.Equal(DeviceId(i), (string?)row["hostname"]);
            Assert.Equal(OsOf(i), (string?)row["os"]);
            Assert.Equal(IsMfaOn(i) ? "pending" : "disabled", (string?)row["mfaStatus"]);
        }
    }

    [Theory]
    [InlineData("os=windows")]
    [InlineData("os=macos")]
    [InlineData("mfa=pending")]
    [InlineData("mfa=disabled")]
    [InlineData("mfa=enabled")]
    [InlineData("os=linux&mfa=pending")]
    [InlineData("os=windows&mfa=pending&limit=3")]
    public async Task Filters_return_exactly_the_matching_devices(string query)
    {
        var filter = Uri.UnescapeDataString(query).Split('&').Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
        var expected = Devices
            .Where(i => !filter.TryGetValue("os", out var os) || OsOf(i) == os)
            .Where(i => !filter.TryGetValue("mfa", out var mfa) || (IsMfaOn(i) ? "pending" : "disabled") == mfa)
            .Select(DeviceId)
            .ToList();

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = (await Admin.GetAsync($"/api/orgs/{_org}/devices?{query}{(cursor is null ? "" : $"&cursor={cursor}")}")).Ok();
            var items = page["items"]!.AsArray();
            seen.AddRange(items.Select(d => (string)d!["deviceId"]!));
            Assert.All(items, d => Assert.True(Matches(d!, filter), $"{d} does not match {query}"));
            cursor = (string?)page["nextCursor"];
        }
        while (cursor is not null && seen.Count <= DeviceCount);

        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task The_org_summary_counts_devices_by_MFA_status()
    {
        var counts = (await Admin.GetAsync($"/api/orgs/{_org}")).Ok()["devices"]!;

        var pending = Devices.Count(IsMfaOn);
        Assert.Equal(DeviceCount, (int)counts["total"]!);
        Assert.Equal(pending, (int)counts["pending"]!);
        Assert.Equal(DeviceCount - pending, (int)counts["disabled"]!);
        Assert.Equal(0, (int)counts["enabled"]!);
        Assert.Equal(0, (int)counts["failed"]!);
    }

    [Fact]
    public async Task An_org_without_devices_lists_an_empty_page()
    {
        var org = TestIds.Unique("empty");
        await Admin.CreateOrgAsync(org);

        var page = (await Admin.GetAsync($"/api/orgs/{org}/devices")).Ok();

        Assert.Empty(page["items"]!.AsArray());
        Assert.Null((string?)page["nextCursor"]);
        Assert.Equal(HttpStatusCode.OK, (await Admin.GetAsync($"/api/orgs/{org}")).Status);
    }

    /// <summary>120 devices over three OSes, registered 16 at a time; every fourth one has MFA on (pending).</summary>
    private static async Task<string> RegisterFleetAsync(SiloProcess silo)
    {
        var admin = silo.Admin;
        var org = TestIds.Unique("fleet");
        await admin.CreateOrgAsync(org);
        await Parallel.ForEachAsync(Devices, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var os = OsOf(i);
            await admin.RegisterDeviceAsync(org, DeviceId(i), os, os switch { "windows" => "10.0.22631", "macos" => "14.5", _ => "12" });
            if (IsMfaOn(i))
            {
                await admin.EnableMfaAsync(org, DeviceId(i));
            }
        });
        return org;
    }

    private static string DeviceId(int i) => $"dev-{i:D3}";

    private static string OsOf(int i) => Systems[i % Systems.Length];

    private static bool IsMfaOn(int i) => i % 4 == 0;

    private static bool Matches(JsonNode row, Dictionary<string, string> filter) =>
        (!filter.TryGetValue("os", out var os) || (string?)row["os"] == os) &&
        (!filter.TryGetValue("mfa", out var mfa) || (string?)row["mfaStatus"] == mfa);
}
