using FleetMfa.Grains;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Devices;

/// <summary>The sharded device index: cursor paging, filters and status counts.</summary>
[Collection(ClusterCollection.Name)]
public class DeviceIndexTests(ClusterFixture fixture)
{
    private const int Devices = 300;

    private readonly IGrainFactory _grains = fixture.Grains;

    /// <summary>
    /// Ids whose ordinal order differs from numeric and culture order ("host-10" &lt; "host-2", '-' &lt; '.' &lt; digits &lt; '_'),
    /// round-robin over the three systems.
    /// </summary>
    private static readonly (string Id, DeviceOs Os)[] _fleet =
    [
        .. Enumerable.Range(0, Devices).Select(i => (
            $"{(i % 4) switch { 0 => "host-", 1 => "host.", 2 => "host_", _ => "host" }}{i}",
            (DeviceOs)(i % 3))),
    ];

    private async Task<string> RegisterFleetAsync()
    {
        var orgId = await _grains.NewOrgAsync();
        await Task.WhenAll(_fleet.Select(d => _grains.RegisterAsync(orgId, d.Id, d.Os, d.Os == DeviceOs.Windows ? "10.0.19045" : "14.5")));
        return orgId;
    }

    private async Task<List<DeviceRow>> ListAllAsync(string orgId, DeviceQuery query, int? expectedPages = null)
    {
        var rows = new List<DeviceRow>();
        var pages = 0;
        var page = await _grains.GetDeviceDirectory(orgId).ListAsync(query);
        while (true)
        {
            pages++;
            Assert.InRange(page.Items.Count, 0, query.Limit);
            rows.AddRange(page.Items);
            if (page.NextCursor is null)
            {
                break;
            }

            Assert.Equal(query.Limit, page.Items.Count);
            Assert.Equal(page.Items[^1].DeviceId, page.NextCursor);
            Assert.True(pages <= Devices, "the cursor must make progress");
            page = await _grains.GetDeviceDirectory(orgId).ListAsync(query with { After = page.NextCursor });
        }

        if (expectedPages is { } expected)
        {
            Assert.Equal(expected, pages);
        }

        return rows;
    }

    [Fact]
    public async Task Paging_with_the_cursor_returns_every_device_exactly_once_in_ordinal_order()
    {
        var orgId = await RegisterFleetAsync();

        var rows = await ListAllAsync(orgId, new DeviceQuery(null, null, null, null, 50), expectedPages: Devices / 50);

        var expected = _fleet.Select(d => d.Id).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, rows.Select(r => r.DeviceId));
        Assert.All(rows, r => Assert.Equal(_fleet.Single(d => d.Id == r.DeviceId).Os, r.Os));
        Assert.All(rows, r => Assert.Equal($"{r.DeviceId}.example", r.Hostname));
    }

    [Fact]
    public async Task A_page_size_that_does_not_divide_the_fleet_ends_with_a_short_page()
    {
        var orgId = await RegisterFleetAsync();

        var rows = await ListAllAsync(orgId, new DeviceQuery(null, null, null, null, 70), expectedPages: 5);

        Assert.Equal(_fleet.Select(d => d.Id).Order(StringComparer.Ordinal), rows.Select(r => r.DeviceId));
    }

    [Fact]
    public async Task The_os_filter_pages_through_only_that_system()
    {
        var orgId = await RegisterFleetAsync();

        var windows = await ListAllAsync(orgId, new DeviceQuery(DeviceOs.Windows, null, null, null, 30));

        Assert.Equal(
            _fleet.Where(d => d.Os == DeviceOs.Windows).Select(d => d.Id).Order(StringComparer.Ordinal),
            windows.Select(r => r.DeviceId));
    }

    [Fact]
    public async Task The_mfa_filter_and_the_org_summary_follow_enabled_devices()
    {
        var orgId = await RegisterFleetAsync();
        var enabled = _fleet.Where((_, i) => i % 7 == 0).Select(d => d.Id).ToList();
        await _grains.GetOrg(orgId).SetTotpEnabledAsync(true);

        var before = await _grains.GetOrg(orgId).GetSummaryAsync();
        await Task.WhenAll(enabled.Select(id => _grains.GetDevice(orgId, id).EnableMfaAsync(force: false)));
        var after = await _grains.GetOrg(orgId).GetSummaryAsync();

        Assert.Equal(new MfaStatusCounts(Devices, Devices, 0, 0, 0), before.Devices);
        Assert.Equal(new MfaStatusCounts(Devices, Devices - enabled.Count, enabled.Count, 0, 0), after.Devices);
        Assert.Equal(new MfaStatusCounts(Devices, Devices - enabled.Count, enabled.Count, 0, 0), await _grains.GetDeviceDirectory(orgId).CountAsync());

        var pending = await ListAllAsync(orgId, new DeviceQuery(null, MfaStatus.Pending, null, null, 10));
        Assert.Equal(enabled.Order(StringComparer.Ordinal), pending.Select(r => r.DeviceId));
        Assert.All(pending, r => Assert.True(r.MfaDesired));

        var pendingMacs = await ListAllAsync(orgId, new DeviceQuery(DeviceOs.Macos, MfaStatus.Pending, null, null, 10));
        Assert.Equal(
            _fleet.Where(d => d.Os == DeviceOs.Macos && enabled.Contains(d.Id)).Select(d => d.Id).Order(StringComparer.Ordinal),
            pendingMacs.Select(r => r.DeviceId));
    }

    [Fact]
    public async Task Re_registering_a_device_updates_its_row_without_duplicating_it()
    {
        var orgId = await _grains.NewOrgAsync();
        await _grains.RegisterLinuxAsync(orgId, "web-01");

        await _grains.GetDevice(orgId, "web-01").RegisterAsync(new DeviceRegistration("web-01-renamed", DeviceOs.Linux, "Debian 13", null));

        var row = Assert.Single((await _grains.GetDeviceDirectory(orgId).ListAsync(new DeviceQuery(null, null, null, null, 10))).Items);
        Assert.Equal("web-01-renamed", row.Hostname);
        Assert.Equal(1, (await _grains.GetOrg(orgId).GetSummaryAsync()).Devices.Total);
    }

    [Fact]
    public async Task An_org_without_devices_lists_an_empty_page()
    {
        var orgId = await _grains.NewOrgAsync();

        var page = await _grains.GetDeviceDirectory(orgId).ListAsync(new DeviceQuery(null, null, null, null, 50));

        Assert.Empty(page.Items);
        Assert.Null(page.NextCursor);
        Assert.Equal(MfaStatusCounts.Empty, (await _grains.GetOrg(orgId).GetSummaryAsync()).Devices);
    }

    [Fact]
    public async Task Devices_of_other_orgs_are_not_listed()
    {
        var orgId = await _grains.NewOrgAsync();
        var otherOrgId = await _grains.NewOrgAsync();
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        await _grains.RegisterLinuxAsync(otherOrgId, "web-02");

        var page = await _grains.GetDeviceDirectory(orgId).ListAsync(new DeviceQuery(null, null, null, null, 50));

        Assert.Equal(["web-01"], page.Items.Select(r => r.DeviceId));
    }
}
