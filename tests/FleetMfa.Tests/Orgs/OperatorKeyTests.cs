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
}
