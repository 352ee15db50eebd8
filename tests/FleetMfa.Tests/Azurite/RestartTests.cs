using FleetMfa.Grains;
using FleetMfa.Grains.Security;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Azurite;

/// <summary>Grain state in Azure Table storage (Azurite) outlives the whole cluster.</summary>
[Collection(AzuriteCollection.Name)]
public class RestartTests(AzuriteClusterFixture fixture)
{
    /// <summary>Always the current cluster's factory: a restart replaces it.</summary>
    private IGrainFactory Grains => fixture.Grains;

    private DateTimeOffset Now => fixture.Time.GetUtcNow();

    [Fact]
    public async Task Org_device_and_user_state_survive_a_full_cluster_restart()
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        await Grains.GetOrg(orgId).CreateOrUpdateAsync("Acme, before the restart");
        var key = await Grains.GetOrg(orgId).CreateApiKeyAsync("ops");
        Assert.True(ApiKeys.TryParseOrgKey(key.Key, ApiKeys.OperatorPrefix, out _, out var keyId, out var keySecret));

        await Grains.RegisterLinuxAsync(orgId, "web-01");
        await Grains.GetDevice(orgId, "web-01").UpdateSettingsAsync(new DeviceSettingsPatch(false, true, null, null));
        await Grains.GetDevice(orgId, "web-01").EnableMfaAsync(force: false);
        await Grains.RegisterAsync(orgId, "mac-01", DeviceOs.Macos, "12.7.4", DeviceFacts.Unknown with { AuthPlugins = ["JamfConnectLogin"], DisplayHeightPixels = 800 });
        await Grains.GetDevice(orgId, "mac-01").EnableMfaAsync(force: true);
        await Grains.EnrolledUserAsync(orgId, "alice", fixture.Time);
        await Grains.GetDevice(orgId, "web-01").BindUserAsync("alice", "asmith");
        await Grains.NewUserAsync(orgId, "bob");
        var bobEnrollment = await Grains.GetUser(orgId, "bob").StartTotpEnrollmentAsync();
        await Grains.GetDevice(orgId, "mac-01").BindUserAsync("bob", "bob");

        var before = await SnapshotAsync(orgId);

        await fixture.RestartClusterAsync();

        var after = await SnapshotAsync(orgId);
        Assert.Equivalent(before, after, strict: true);
        Assert.Equal("Acme, before the restart", after.Org.Settings.Name);
        Assert.True(after.Web.Mfa.Required);
        Assert.Equal(new LinuxSettings(false, true), after.Web.Settings.Linux);
        Assert.Equal(["JamfConnectLogin"], after.Mac.Facts.AuthPlugins);
        Assert.Equal(TotpStatus.Enrolled, after.Alice.TotpStatus);
        Assert.Equal(["web-01"], after.Alice.Devices);
        Assert.Equal(OnDeviceStatus.Pending, Assert.Single(after.WebUsers).OnDevice);
        Assert.True(await Grains.GetOrg(orgId).IsApiKeyValidAsync(keyId, ApiKeys.Hash(keySecret)));

        // The pending secret was stored encrypted and still decrypts: setup started before the restart completes after it.
        var bob = await Grains.GetUser(orgId, "bob").ConfirmTotpAsync(Fleet.AuthenticatorCode(bobEnrollment.Secret, Now));
        Assert.Equal(TotpStatus.Enrolled, bob.TotpStatus);
        Assert.Equal(OnDeviceStatus.Pending, Assert.Single(await Grains.GetDevice(orgId, "mac-01").GetUsersAsync()).OnDevice);
    }

    [Fact]
    public async Task The_device_index_lists_counts_and_fans_out_after_a_restart()
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        var ids = Enumerable.Range(0, 40).Select(i => $"host-{i}").ToList();
        await Task.WhenAll(ids.Select(id => Grains.RegisterLinuxAsync(orgId, id)));
        var enabled = ids.Where((_, i) => i % 4 == 0).ToList();
        await Task.WhenAll(enabled.Select(id => Grains.GetDevice(orgId, id).EnableMfaAsync(force: false)));

        await fixture.RestartClusterAsync();

        Assert.Equal(ids.Order(StringComparer.Ordinal), await ListIdsAsync(orgId, new DeviceQuery(null, null, null, null, 7)));
        Assert.Equal(enabled.Order(StringComparer.Ordinal), await ListIdsAsync(orgId, new DeviceQuery(null, MfaStatus.Pending, null, null, 3)));
        Assert.Equal(new MfaStatusCounts(40, 30, 10, 0, 0), (await Grains.GetOrg(orgId).GetSummaryAsync()).Devices);

        // A reloaded shard keeps its rows when a new device joins ...
        await Grains.RegisterLinuxAsync(orgId, "host-new");
        Assert.Equal(41, (await ListIdsAsync(orgId, new DeviceQuery(null, null, null, null, 50))).Count);

        // ... and still knows which devices the org switch must reach.
        await Grains.SwitchTotpAsync(orgId, false);
        var details = await Task.WhenAll(enabled.Select(id => Grains.GetDevice(orgId, id).GetAsync()));
        Assert.All(details, d => Assert.False(d!.Mfa.Required));
    }

    private async Task<List<string>> ListIdsAsync(string orgId, DeviceQuery query)
    {
        var ids = new List<string>();
        for (var page = await Grains.GetDeviceDirectory(orgId).ListAsync(query); ; page = await Grains.GetDeviceDirectory(orgId).ListAsync(query with { After = page.NextCursor }))
        {
            ids.AddRange(page.Items.Select(r => r.DeviceId));
            if (page.NextCursor is null)
            {
                return ids;
            }
        }
    }

    private sealed record Snapshot(
        OrgSummary Org,
        DeviceDetail Web,
        DeviceDetail Mac,
        IReadOnlyList<DeviceUserStatus> WebUsers,
        IReadOnlyList<DeviceUserStatus> MacUsers,
        UserInfo Alice,
        UserInfo Bob,
        IReadOnlyList<DeviceRow> Rows);

    private async Task<Snapshot> SnapshotAsync(string orgId) => new(
        await Grains.GetOrg(orgId).GetSummaryAsync(),
        await Grains.GetDevice(orgId, "web-01").GetAsync() ?? throw new InvalidOperationException("web-01 is gone"),
        await Grains.GetDevice(orgId, "mac-01").GetAsync() ?? throw new InvalidOperationException("mac-01 is gone"),
        await Grains.GetDevice(orgId, "web-01").GetUsersAsync(),
        await Grains.GetDevice(orgId, "mac-01").GetUsersAsync(),
        await Grains.GetUser(orgId, "alice").GetAsync() ?? throw new InvalidOperationException("alice is gone"),
        await Grains.GetUser(orgId, "bob").GetAsync() ?? throw new InvalidOperationException("bob is gone"),
        (await Grains.GetDeviceDirectory(orgId).ListAsync(new DeviceQuery(null, null, null, null, 10))).Items);
}
