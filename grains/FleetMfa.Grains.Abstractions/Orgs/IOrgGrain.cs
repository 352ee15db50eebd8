using Orleans.Concurrency;

namespace FleetMfa.Grains;

/// <summary>An org: its settings, the org-level TOTP switch and its operator keys. Key: <c>{orgId}</c>.</summary>
public interface IOrgGrain : IGrainWithStringKey
{
    Task<OrgSettings> CreateOrUpdateAsync(string name);

    /// <summary>The org's settings, or <c>null</c> when the org was never created.</summary>
    // Interleaves so reads never queue behind the switch's wait on the index shards (up to 10 s); safe: reads only what is stored (never a write in flight) and writes nothing.
    [AlwaysInterleave]
    Task<OrgSettings?> GetAsync();

    /// <summary>What devices need of the org; throws <c>not-found</c> for an org that does not exist.</summary>
    // Interleaves so devices, users and rollouts asking for the policy never queue behind the switch's fan-out wait; safe: reads only what is stored (never a write in flight) and writes nothing.
    [AlwaysInterleave]
    Task<OrgPolicy> GetPolicyAsync();

    Task<OrgSummary> GetSummaryAsync();

    Task<OrgSettings> UpdateAsync(OrgSettingsPatch patch);

    /// <summary>The org-level TOTP switch; reaches every device with MFA on through the index shards.</summary>
    Task<OrgSettings> SetTotpEnabledAsync(bool enabled);

    /// <summary>A new operator key, shown once; it expires after <paramref name="lifetime"/> when one is given.</summary>
    Task<ApiKeyCreated> CreateApiKeyAsync(string name, TimeSpan? lifetime = null);

    /// <summary>The org's operator keys (never a secret or its hash), oldest first.</summary>
    // Interleaves so a listing never queues behind the switch's fan-out wait; safe: reads only what is stored (never a write in flight) and writes nothing.
    [AlwaysInterleave]
    Task<IReadOnlyList<ApiKeyInfo>> ListApiKeysAsync();

    /// <summary>Deletes operator key <paramref name="keyId"/>; throws <c>not-found</c> when there is none.</summary>
    Task RevokeApiKeyAsync(string keyId);

    /// <summary>Whether <paramref name="secretHash"/> (SHA-256 of the key's secret part) belongs to a live (unexpired) key of this org.</summary>
    // Interleaves so authenticating a request never queues behind the switch's fan-out wait; safe: reads only what is stored (never a write in flight) and writes nothing.
    [AlwaysInterleave]
    Task<bool> IsApiKeyValidAsync(string keyId, byte[] secretHash);

    /// <summary>
    /// The name of the live operator key <paramref name="keyId"/> whose secret hashes to <paramref name="secretHash"/>;
    /// null when there is none (unknown, revoked or expired). A match notes the key's use (stored at most once a minute).
    /// </summary>
    // Interleaves so authenticating a request never queues behind the switch's fan-out wait; safe: it reads what is stored and sends the use to store as a one-way call of its own.
    [AlwaysInterleave]
    Task<string?> FindApiKeyNameAsync(string keyId, byte[] secretHash);

    /// <summary>Stores that operator key <paramref name="keyId"/> was used now, unless that was stored less than a minute ago. The grain sends this to itself.</summary>
    [OneWay]
    Task RecordApiKeyUseAsync(string keyId);

    /// <summary>
    /// A new key with which agents enroll devices into this org; shown once. It expires after <paramref name="lifetime"/>
    /// and allows <paramref name="maxUses"/> enrollments when those are given.
    /// </summary>
    Task<ApiKeyCreated> CreateConnectKeyAsync(string name, TimeSpan? lifetime = null, int? maxUses = null);

    /// <summary>The org's connect keys with their remaining uses (never a secret or its hash), oldest first.</summary>
    // Interleaves so a listing never queues behind the switch's fan-out wait; safe: reads only what is stored (never a write in flight) and writes nothing.
    [AlwaysInterleave]
    Task<IReadOnlyList<ConnectKeyInfo>> ListConnectKeysAsync();

    Task RevokeConnectKeyAsync(string keyId);

    /// <summary>Whether the connect key is live: known, unexpired and not used up. Changes nothing.</summary>
    // Interleaves so an agent's key check never queues behind the switch's fan-out wait; safe: reads only what is stored (never a write in flight) and writes nothing.
    [AlwaysInterleave]
    Task<bool> IsConnectKeyValidAsync(string keyId, byte[] secretHash);

    /// <summary>
    /// Spends one use of a live connect key for an enrollment: true once the use is stored (a key with a use limit), or
    /// at once (a key without); false for a key that is unknown, revoked, expired or used up. A failed write throws and
    /// spends nothing.
    /// </summary>
    Task<bool> UseConnectKeyAsync(string keyId, byte[] secretHash);

    /// <summary>Remembers a new rollout (the org lists its most recent ones).</summary>
    Task AddRolloutAsync(string rolloutId);

    /// <summary>The ids of the org's most recent rollouts, newest first.</summary>
    // Interleaves so a listing never queues behind the switch's fan-out wait; safe: reads only what is stored (never a write in flight) and writes nothing.
    [AlwaysInterleave]
    Task<IReadOnlyList<string>> GetRolloutIdsAsync();

    /// <summary>An index shard has handed policy <paramref name="version"/> to all its devices.</summary>
    [OneWay]
    Task PolicyFannedOutAsync(int shard, long version);
}
