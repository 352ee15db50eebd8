using FleetMfa.Grains;

namespace FleetMfa.Tests.Rules;

public class GrainKeysTests
{
    [Fact]
    public void Scoped_keys_split_back_into_org_and_id()
    {
        var key = GrainKeys.Scoped("acme.eu", "web-01");
        Assert.Equal("acme.eu/web-01", key);
        Assert.Equal(("acme.eu", "web-01"), GrainKeys.Split(key));
    }

    [Theory]
    [InlineData("")]
    [InlineData("acme")]
    [InlineData("/web-01")]
    [InlineData("acme/")]
    [InlineData("/")]
    public void Split_refuses_a_key_without_both_parts(string key) =>
        Assert.Throws<ArgumentException>(() => GrainKeys.Split(key));

    /// <summary>Shard = FNV-1a (32 bit) mod 64, pinned with the published FNV-1a vectors: the shard is storage layout.</summary>
    [Theory]
    [InlineData("", 0x811c9dc5u)]
    [InlineData("a", 0xe40c292cu)]
    [InlineData("foobar", 0xbf9cf968u)]
    public void DeviceShard_is_fnv1a_mod_64_so_it_never_changes_between_versions(string deviceId, uint fnv1a) =>
        Assert.Equal((int)(fnv1a % GrainKeys.DeviceIndexShards), GrainKeys.DeviceShard(deviceId));

    [Fact]
    public void DeviceShard_is_the_same_for_equal_ids_built_separately()
    {
        var id = "web-" + 42.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(GrainKeys.DeviceShard("web-42"), GrainKeys.DeviceShard(id));
    }

    [Fact]
    public void DeviceShard_is_always_a_valid_shard()
    {
        var ids = Enumerable.Range(0, 20_000).Select(i => $"d{i}")
            .Concat(["", "a", new string('z', 63), "ÿÿÿÿ", "\uffff\uffff"]);
        Assert.All(ids, id => Assert.InRange(GrainKeys.DeviceShard(id), 0, GrainKeys.DeviceIndexShards - 1));
    }

    [Fact]
    public void DeviceShard_spreads_ids_evenly_over_all_shards()
    {
        const int Ids = 64_000;
        var perShard = new int[GrainKeys.DeviceIndexShards];
        for (var i = 0; i < Ids; i++)
        {
            perShard[GrainKeys.DeviceShard($"device-{i}")]++;
        }

        // 1,000 expected per shard; a hash that ignores part of the id would leave shards empty or crowded.
        Assert.All(perShard, count => Assert.InRange(count, 800, 1_200));
    }

    [Fact]
    public void DeviceShard_spreads_uuid_like_ids_too()
    {
        var perShard = new int[GrainKeys.DeviceIndexShards];
        for (var i = 0; i < 6_400; i++)
        {
            perShard[GrainKeys.DeviceShard(Guid.NewGuid().ToString("N"))]++;
        }

        Assert.All(perShard, count => Assert.InRange(count, 40, 180));
    }

    [Theory]
    [InlineData(0, "acme/00")]
    [InlineData(7, "acme/07")]
    [InlineData(63, "acme/63")]
    public void DeviceShardKey_names_the_shard_with_two_digits(int shard, string key) =>
        Assert.Equal(key, GrainKeys.DeviceShardKey("acme", shard));
}
