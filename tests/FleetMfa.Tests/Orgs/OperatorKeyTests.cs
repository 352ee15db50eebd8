using FleetMfa.Grains;
using FleetMfa.Grains.Security;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Orgs;

[Collection(ClusterCollection.Name)]
public class OperatorKeyTests(ClusterFixture fixture)
{
    private readonly IGrainFactory _grains = fixture.Grains;

    private static (string KeyId, byte[] Hash) Parse(ApiKeyCreated created)
    {
        Assert.True(ApiKeys.TryParseOrgKey(created.Key, ApiKeys.OperatorPrefix, out _, out var keyId, out var secret));
        return (keyId, ApiKeys.Hash(secret));
    }

    [Fact]
    public async Task A_new_key_is_valid_with_the_hash_of_its_secret()
    {
        var orgId = await _grains.NewOrgAsync();

        var created = await _grains.GetOrg(orgId).CreateApiKeyAsync("ci pipeline");
        var (keyId, hash) = Parse(created);

        Assert.Equal("ci pipeline", created.Name);
        Assert.Equal(created.KeyId, keyId);
        Assert.True(ApiKeys.TryParseOrgKey(created.Key, ApiKeys.OperatorPrefix, out var keyOrg, out _, out _));
        Assert.Equal(orgId, keyOrg);
        Assert.True(await _grains.GetOrg(orgId).IsApiKeyValidAsync(keyId, hash));
    }

    [Fact]
    public async Task A_key_is_invalid_with_a_wrong_hash_an_unknown_id_or_in_another_org()
    {
        var orgId = await _grains.NewOrgAsync();
        var otherOrgId = await _grains.NewOrgAsync();
        var (keyId, hash) = Parse(await _grains.GetOrg(orgId).CreateApiKeyAsync("ops"));
        var (otherKeyId, otherHash) = Parse(await _grains.GetOrg(otherOrgId).CreateApiKeyAsync("ops"));

        Assert.False(await _grains.GetOrg(orgId).IsApiKeyValidAsync(keyId, ApiKeys.Hash("wrong")));
        Assert.False(await _grains.GetOrg(orgId).IsApiKeyValidAsync(keyId, []));
        Assert.False(await _grains.GetOrg(orgId).IsApiKeyValidAsync(otherKeyId, otherHash));
        Assert.False(await _grains.GetOrg(otherOrgId).IsApiKeyValidAsync(keyId, hash));
        Assert.False(await _grains.GetOrg(orgId).IsApiKeyValidAsync(new string('0', 16), hash));
        Assert.False(await _grains.GetOrg(Fleet.NewId("org")).IsApiKeyValidAsync(keyId, hash));
    }

    [Fact]
    public async Task An_org_holds_at_most_100_keys_and_refuses_the_101st()
    {
        var orgId = await _grains.NewOrgAsync();
        var org = _grains.GetOrg(orgId);
        var keys = new List<ApiKeyCreated>();
        for (var i = 0; i < 100; i++)
        {
            keys.Add(await org.CreateApiKeyAsync($"key {i}"));
        }

        await FleetAssert.RefusedAsync(ErrorCodes.Conflict, () => org.CreateApiKeyAsync("one too many"));

        Assert.Equal(100, keys.Select(k => k.KeyId).Distinct().Count());
        var (lastId, lastHash) = Parse(keys[^1]);
        Assert.True(await org.IsApiKeyValidAsync(lastId, lastHash));
    }

    [Fact]
    public async Task An_unknown_org_cannot_create_keys() =>
        await FleetAssert.RefusedAsync(ErrorCodes.NotFound, () => _grains.GetOrg(Fleet.NewId("org")).CreateApiKeyAsync("ops"));

    [Fact]
    public async Task A_key_with_a_lifetime_is_refused_from_its_expiry_on_and_listed_as_expired()
    {
        var orgId = await _grains.NewOrgAsync();
        var org = _grains.GetOrg(orgId);
        var expiring = await org.CreateApiKeyAsync("one hour", TimeSpan.FromHours(1));
        var lasting = await org.CreateApiKeyAsync("no expiry");
        var (keyId, hash) = Parse(expiring);
        var (lastingId, lastingHash) = Parse(lasting);
        Assert.Equal(expiring.CreatedAt + TimeSpan.FromHours(1), expiring.ExpiresAt);

        fixture.Time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal("one hour", await org.FindApiKeyNameAsync(keyId, hash));
        fixture.Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Null(await org.FindApiKeyNameAsync(keyId, hash));
        Assert.False(await org.IsApiKeyValidAsync(keyId, hash));
        Assert.Equal("no expiry", await org.FindApiKeyNameAsync(lastingId, lastingHash));
        var listed = await org.ListApiKeysAsync();
        Assert.Equal([("one hour", true), ("no expiry", false)], listed.Select(k => (k.Name, k.Expired)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(87_601)]
    public async Task A_lifetime_out_of_bounds_is_a_validation_error_and_creates_nothing(int hours)
    {
        var orgId = await _grains.NewOrgAsync();
        var org = _grains.GetOrg(orgId);

        await FleetAssert.RefusedAsync(ErrorCodes.Validation, () => org.CreateApiKeyAsync("ops", TimeSpan.FromHours(hours)));
        await FleetAssert.RefusedAsync(ErrorCodes.Validation, () => org.CreateConnectKeyAsync("agents", TimeSpan.FromHours(hours)));

        Assert.Empty(await org.ListApiKeysAsync());
        Assert.Empty(await org.ListConnectKeysAsync());
    }

    [Fact]
    public async Task A_busy_key_s_last_use_is_stored_at_most_once_a_minute()
    {
        var orgId = await _grains.NewOrgAsync();
        var org = _grains.GetOrg(orgId);
        var (keyId, hash) = Parse(await org.CreateApiKeyAsync("busy"));
        var writes = WriteCountingGrainStorage.WritesOf(org.GetGrainId());

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal("busy", await org.FindApiKeyNameAsync(keyId, hash));
        }

        var first = await Poll.UntilAsync(org.ListApiKeysAsync, keys => keys[0].LastUsedAt is not null, "the first use is stored");
        Assert.Equal(fixture.Time.GetUtcNow(), first[0].LastUsedAt);
        Assert.Equal(writes + 1, WriteCountingGrainStorage.WritesOf(org.GetGrainId()));

        fixture.Time.Advance(TimeSpan.FromSeconds(59));
        for (var i = 0; i < 20; i++)
        {
            await org.FindApiKeyNameAsync(keyId, hash);
        }

        await org.ListApiKeysAsync();
        Assert.Equal(writes + 1, WriteCountingGrainStorage.WritesOf(org.GetGrainId()));

        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        await org.FindApiKeyNameAsync(keyId, hash);
        await Poll.UntilAsync(org.ListApiKeysAsync, keys => keys[0].LastUsedAt == fixture.Time.GetUtcNow(), "the use a minute later is stored");
        Assert.Equal(writes + 2, WriteCountingGrainStorage.WritesOf(org.GetGrainId()));
    }

    [Fact]
    public async Task A_revoked_key_is_refused_and_a_second_revoke_is_not_found()
    {
        var orgId = await _grains.NewOrgAsync();
        var org = _grains.GetOrg(orgId);
        var created = await org.CreateApiKeyAsync("ops");
        var (keyId, hash) = Parse(created);

        await org.RevokeApiKeyAsync(keyId);

        Assert.Null(await org.FindApiKeyNameAsync(keyId, hash));
        Assert.Empty(await org.ListApiKeysAsync());
        await FleetAssert.RefusedAsync(ErrorCodes.NotFound, () => org.RevokeApiKeyAsync(keyId));
    }

    [Fact]
    public async Task A_connect_key_with_a_use_limit_enrolls_that_many_times_and_no_more()
    {
        var orgId = await _grains.NewOrgAsync();
        var org = _grains.GetOrg(orgId);
        var created = await org.CreateConnectKeyAsync("two", maxUses: 2);
        Assert.True(ApiKeys.TryParseOrgKey(created.Key, ApiKeys.ConnectPrefix, out _, out var keyId, out var secret));
        var hash = ApiKeys.Hash(secret);

        var uses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => org.UseConnectKeyAsync(keyId, hash)));

        Assert.Equal(2, uses.Count(u => u));
        Assert.False(await org.IsConnectKeyValidAsync(keyId, hash));
        var listed = Assert.Single(await org.ListConnectKeysAsync());
        Assert.Equal((2, 2, 0), (listed.Uses, listed.MaxUses, listed.RemainingUses));
        Assert.False(await org.UseConnectKeyAsync(keyId, ApiKeys.Hash("wrong")));
        await FleetAssert.RefusedAsync(ErrorCodes.Validation, () => org.CreateConnectKeyAsync("none", maxUses: 0));
        await FleetAssert.RefusedAsync(ErrorCodes.Validation, () => org.CreateConnectKeyAsync("too many", maxUses: 100_001));
    }
}
