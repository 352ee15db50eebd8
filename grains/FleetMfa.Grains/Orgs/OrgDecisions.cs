using FleetMfa.Grains.Rules;

namespace FleetMfa.Grains.Orgs;

/// <summary>
/// An org's decisions, free of Orleans, in the shape of <see cref="Devices.DeviceTwin"/>. Each takes the org's state — a
/// copy, which the grain stores only when the decision returns true — the command and the time, changes the state and
/// returns whether it changed (false: nothing to store). A refusal throws before anything changes. Nothing here waits,
/// calls a grain or writes. The commands other than <see cref="CreateOrRename"/> are for an org that exists; the grain
/// refuses the others (it names the org).
/// <para>
/// The org needs no outbox beside its state: what the TOTP switch leaves to do is in it. <see cref="OrgState.PolicyFannedOutShards"/>
/// holds the index shards that confirmed the current policy; the rest (<see cref="PendingShards"/>) are the fan-out the
/// grain runs after the write and its reminder retries until every shard has confirmed (<see cref="IsFannedOut"/>).
/// </para>
/// </summary>
public static class OrgDecisions
{
    public const int MaxRecentRollouts = 50;
    public const int MaxApiKeys = 100;
    public const int MaxConnectKeyUses = 100_000;

    /// <summary>A key's lifetime, when it has one: at least an hour, at most ten years.</summary>
    public const int MinKeyLifetimeHours = 1;
    public const int MaxKeyLifetimeHours = 87_600;
    public static readonly TimeSpan MinKeyLifetime = TimeSpan.FromHours(MinKeyLifetimeHours);
    public static readonly TimeSpan MaxKeyLifetime = TimeSpan.FromHours(MaxKeyLifetimeHours);

    public static readonly TimeSpan DefaultEnrollmentPeriod = TimeSpan.FromDays(7);
    public static readonly TimeSpan MinEnrollmentPeriod = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxEnrollmentPeriod = TimeSpan.FromDays(90);

    /// <summary>A key's last use is stored at most this often: a busy key costs no storage write per request.</summary>
    public static readonly TimeSpan LastUseResolution = TimeSpan.FromMinutes(1);

    /// <summary>Every shard bit set: each index shard confirmed the current policy.</summary>
    private const ulong AllShards = ulong.MaxValue;

    /// <summary>Creates the org (TOTP off, policy version 1, created <paramref name="now"/>) or renames it; always stored.</summary>
    public static bool CreateOrRename(OrgState state, string name, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        name = InputRules.RequireText(name, "name", 200);
        if (!state.Created)
        {
            state.Created = true;
            state.CreatedAt = now;
            state.PolicyVersion = 1;
        }

        state.Name = name;
        return true;
    }

    /// <summary>The name and the enrollment period, each when the patch has it; always stored.</summary>
    public static bool Update(OrgState state, OrgSettingsPatch patch)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(patch);
        var name = patch.Name is null ? state.Name : InputRules.RequireText(patch.Name, "name", 200);
        if (patch.EnrollmentPeriod is { } period && (period < MinEnrollmentPeriod || period > MaxEnrollmentPeriod))
        {
            throw FleetMfaException.Validation($"enrollment period must be between {MinEnrollmentPeriod.TotalMinutes} minutes and {MaxEnrollmentPeriod.TotalDays} days.");
        }

        state.Name = name;
        state.EnrollmentPeriod = patch.EnrollmentPeriod ?? state.EnrollmentPeriod;
        return true;
    }

    /// <summary>
    /// Whether the switch to <paramref name="enabled"/> leaves shards to tell — it changes the policy, or the last one has
    /// not reached every shard yet: the grain arms the fan-out's reminder before it stores the switch, so that no stored
    /// switch is left without one.
    /// </summary>
    public static bool SwitchLeavesShardsToTell(OrgState state, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.TotpEnabled != enabled || !IsFannedOut(state);
    }

    /// <summary>The org TOTP switch: a new policy version that no shard has confirmed yet; false when it is so already.</summary>
    public static bool SwitchTotp(OrgState state, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.TotpEnabled == enabled)
        {
            return false;
        }

        state.TotpEnabled = enabled;
        state.PolicyVersion++;
        state.PolicyFannedOutShards = 0;
        return true;
    }

    /// <summary>
    /// Index shard <paramref name="shard"/> handed policy <paramref name="version"/> to all its devices. False — nothing
    /// to store — for an older version, a shard out of range or a confirmation already taken.
    /// </summary>
    public static bool ConfirmFanOut(OrgState state, int shard, long version)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (version != state.PolicyVersion || shard is < 0 or >= GrainKeys.DeviceIndexShards || (state.PolicyFannedOutShards & Bit(shard)) != 0)
        {
            return false;
        }

        state.PolicyFannedOutShards |= Bit(shard);
        return true;
    }

    /// <summary>Whether every index shard confirmed the current policy: the fan-out's reminder has nothing left to do.</summary>
    public static bool IsFannedOut(OrgState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.PolicyFannedOutShards == AllShards;
    }

    /// <summary>The index shards that have not confirmed the current policy, in order.</summary>
    public static IReadOnlyList<int> PendingShards(OrgState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return [.. Enumerable.Range(0, GrainKeys.DeviceIndexShards).Where(s => (state.PolicyFannedOutShards & Bit(s)) == 0)];
    }

    /// <summary>Puts <paramref name="rolloutId"/> first among the recent rollouts (at most <see cref="MaxRecentRollouts"/>); always stored.</summary>
    public static bool AddRollout(OrgState state, string rolloutId)
    {
        ArgumentNullException.ThrowIfNull(state);
        Slug.Require(rolloutId, "rolloutId");
        state.RecentRollouts.Remove(rolloutId);
        state.RecentRollouts.Insert(0, rolloutId);
        if (state.RecentRollouts.Count > MaxRecentRollouts)
        {
            state.RecentRollouts.RemoveRange(MaxRecentRollouts, state.RecentRollouts.Count - MaxRecentRollouts);
        }

        return true;
    }

    /// <summary>
    /// A new key's record — its id and the hash of its secret part, which the grain mints — once its name, lifetime and
    /// use limit (connect keys) are valid. Nothing is added yet: <see cref="AddApiKey"/>, <see cref="AddConnectKey"/>.
    /// </summary>
    public static ApiKeyRecord NewKey(string keyId, byte[] secretHash, string name, TimeSpan? lifetime, int? maxUses, DateTimeOffset now)
    {
        name = InputRules.RequireText(name, "name", 100);
        if (lifetime is { } l && (l < MinKeyLifetime || l > MaxKeyLifetime))
        {
            throw FleetMfaException.Validation($"expiresInHours must be between {MinKeyLifetime.TotalHours} and {MaxKeyLifetime.TotalHours}.");
        }

        if (maxUses is < 1 or > MaxConnectKeyUses)
        {
            throw FleetMfaException.Validation($"maxUses must be between 1 and {MaxConnectKeyUses}.");
        }

        return new ApiKeyRecord { KeyId = keyId, Name = name, SecretHash = secretHash, CreatedAt = now, ExpiresAt = now + lifetime, MaxUses = maxUses };
    }

    /// <summary>Adds an operator key (<see cref="NewKey"/>), unless the org holds <see cref="MaxApiKeys"/> already.</summary>
    public static bool AddApiKey(OrgState state, ApiKeyRecord key)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Add(state.ApiKeys, key, "operator keys");
    }

    /// <summary>Adds a connect key (<see cref="NewKey"/>), unless the org holds <see cref="MaxApiKeys"/> already.</summary>
    public static bool AddConnectKey(OrgState state, ApiKeyRecord key)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Add(state.ConnectKeys, key, "connect keys");
    }

    /// <summary>Removes an operator key; false when the org has none with that id.</summary>
    public static bool RevokeApiKey(OrgState state, string keyId)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.ApiKeys.RemoveAll(k => k.KeyId == keyId) > 0;
    }

    /// <summary>Removes a connect key; false when the org has none with that id.</summary>
    public static bool RevokeConnectKey(OrgState state, string keyId)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.ConnectKeys.RemoveAll(k => k.KeyId == keyId) > 0;
    }

    /// <summary>The key among <paramref name="keys"/> that <paramref name="keyId"/> and <paramref name="secretHash"/> open and that is live at <paramref name="now"/>; null when none.</summary>
    public static ApiKeyRecord? FindLive(IEnumerable<ApiKeyRecord> keys, string keyId, byte[] secretHash, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return keys.FirstOrDefault(k => k.Opens(keyId, secretHash, now));
    }

    /// <summary>Whether a use of <paramref name="key"/> at <paramref name="now"/> is to be stored: it was never used, or not within <see cref="LastUseResolution"/>.</summary>
    public static bool IsUseDue(ApiKeyRecord key, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.LastUsedAt is not { } last || now - last >= LastUseResolution;
    }

    /// <summary>Whether an enrollment with connect key <paramref name="key"/> stores its use first: always for a key with a use limit, else when the use is due.</summary>
    public static bool IsConnectKeyUseStored(ApiKeyRecord key, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.MaxUses is not null || IsUseDue(key, now);
    }

    /// <summary>Stores an operator key's use when it is due; false when it is not, or the key is gone.</summary>
    public static bool RecordApiKeyUse(OrgState state, string keyId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.ApiKeys.Find(k => k.KeyId == keyId) is not { } key || !IsUseDue(key, now))
        {
            return false;
        }

        key.LastUsedAt = now;
        return true;
    }

    /// <summary>
    /// An enrollment with a connect key: a limited key spends one use, an unlimited one records its use. False — nothing
    /// to store, and no enrollment — when no live key opens with <paramref name="keyId"/> and <paramref name="secretHash"/>
    /// (revoked, expired or spent meanwhile).
    /// </summary>
    public static bool RecordConnectKeyUse(OrgState state, string keyId, byte[] secretHash, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (FindLive(state.ConnectKeys, keyId, secretHash, now) is not { } key)
        {
            return false;
        }

        if (key.MaxUses is not null)
        {
            key.Uses++;
        }

        key.LastUsedAt = now;
        return true;
    }

    private static bool Add(List<ApiKeyRecord> keys, ApiKeyRecord key, string what)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (keys.Count >= MaxApiKeys)
        {
            throw new FleetMfaException(ErrorCodes.Conflict, $"An org holds at most {MaxApiKeys} {what}; revoke one first.");
        }

        keys.Add(key);
        return true;
    }

    private static ulong Bit(int shard) => 1UL << shard;
}
