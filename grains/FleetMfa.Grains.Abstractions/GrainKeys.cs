namespace FleetMfa.Grains;

/// <summary>Builds and splits the compound string keys of org-scoped grains (<c>{orgId}/{id}</c>).</summary>
public static class GrainKeys
{
    /// <summary>Number of device index shards per org; part of the storage layout, never change it for a live org.</summary>
    public const int DeviceIndexShards = 64;

    public static string Scoped(string orgId, string id) => $"{orgId}/{id}";

    public static (string OrgId, string Id) Split(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == key.Length - 1)
        {
            throw new ArgumentException($"'{key}' is not an org-scoped grain key.", nameof(key));
        }

        return (key[..slash], key[(slash + 1)..]);
    }

    /// <summary>The shard that indexes <paramref name="deviceId"/>: FNV-1a, stable across processes and versions.</summary>
    public static int DeviceShard(string deviceId)
    {
        var hash = 2166136261u;
        foreach (var c in deviceId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % DeviceIndexShards);
    }

    public static string DeviceShardKey(string orgId, int shard) => Scoped(orgId, ShardName(shard));

    /// <summary>The key of a rollout's slice for device index shard <paramref name="shard"/>: <c>{orgId}/{rolloutId}/{shard}</c>.</summary>
    public static string RolloutShardKey(string orgId, string rolloutId, int shard) => Scoped(orgId, $"{rolloutId}/{ShardName(shard)}");

    /// <summary>Splits a <see cref="RolloutShardKey"/>.</summary>
    public static (string OrgId, string RolloutId, int Shard) SplitRolloutShard(string key)
    {
        var (orgId, rest) = Split(key);
        var slash = rest.LastIndexOf('/');
        if (slash <= 0 || !int.TryParse(rest.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var shard) ||
            shard >= DeviceIndexShards)
        {
            throw new ArgumentException($"'{key}' is not a rollout shard key.", nameof(key));
        }

        return (orgId, rest[..slash], shard);
    }

    private static string ShardName(int shard) => shard.ToString("D2", System.Globalization.CultureInfo.InvariantCulture);
}
