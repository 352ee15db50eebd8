using Orleans.Concurrency;

namespace FleetMfa.Grains;

/// <summary>An org: its settings, the org-level TOTP switch and its operator keys. Key: <c>{orgId}</c>.</summary>
public interface IOrgGrain : IGrainWithStringKey
{
    Task<OrgSettings> CreateOrUpdateAsync(string name);

    /// <summary>The org's settings, or <c>null</c> when the org was never created.</summary>
    [AlwaysInterleave]
    Task<OrgSettings?> GetAsync();

    /// <summary>What devices need of the org; throws <c>not-found</c> for an org that does not exist.</summary>
    [AlwaysInterleave]
    Task<OrgPolicy> GetPolicyAsync();

    Task<OrgSummary> GetSummaryAsync();

    Task<OrgSettings> UpdateAsync(OrgSettingsPatch patch);

    /// <summary>The org-level TOTP switch; reaches every device with MFA on through the index shards.</summary>
    Task<OrgSettings> SetTotpEnabledAsync(bool enabled);

    Task<ApiKeyCreated> CreateApiKeyAsync(string name);

    /// <summary>Whether <paramref name="secretHash"/> (SHA-256 of the key's secret part) belongs to a live key of this org.</summary>
    [AlwaysInterleave]
    Task<bool> IsApiKeyValidAsync(string keyId, byte[] secretHash);

    /// <summary>A new key with which agents enroll devices into this org; shown once.</summary>
    Task<ApiKeyCreated> CreateConnectKeyAsync(string name);

    Task RevokeConnectKeyAsync(string keyId);

    [AlwaysInterleave]
    Task<bool> IsConnectKeyValidAsync(string keyId, byte[] secretHash);

    /// <summary>Remembers a new rollout (the org lists its most recent ones).</summary>
    Task AddRolloutAsync(string rolloutId);

    /// <summary>The ids of the org's most recent rollouts, newest first.</summary>
    [AlwaysInterleave]
    Task<IReadOnlyList<string>> GetRolloutIdsAsync();

    /// <summary>An index shard has handed policy <paramref name="version"/> to all its devices.</summary>
    [OneWay]
    Task PolicyFannedOutAsync(int shard, long version);
}
