using FleetMfa.Grains.Rules;
using FleetMfa.Grains.Security;
using Microsoft.Extensions.Logging;

namespace FleetMfa.Grains.Orgs;

public sealed partial class OrgGrain(
    [PersistentState("org", StorageNames.Fleet)] IPersistentState<OrgState> state,
    ILogger<OrgGrain> logger,
    TimeProvider time) : Grain, IOrgGrain, IRemindable
{
    public const int MaxRecentRollouts = 50;
    internal const string FanOutReminder = "policy-fan-out";
    internal static readonly TimeSpan FanOutReminderPeriod = TimeSpan.FromMinutes(1);

    /// <summary>How long the switch request waits for the index shards before it returns (well inside Orleans' 30 s response timeout).</summary>
    internal static readonly TimeSpan FanOutWait = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan DefaultEnrollmentPeriod = TimeSpan.FromDays(7);
    public static readonly TimeSpan MinEnrollmentPeriod = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxEnrollmentPeriod = TimeSpan.FromDays(90);
    public const int MaxApiKeys = 100;

    private string OrgId => this.GetPrimaryKeyString();

    private OrgState State => state.State;

    public async Task<OrgSettings> CreateOrUpdateAsync(string name)
    {
        name = InputRules.RequireText(name, "name", 200);
        if (!State.Created)
        {
            State.Created = true;
            State.CreatedAt = time.GetUtcNow();
            State.PolicyVersion = 1;
            LogOrgCreated(logger, OrgId);
        }

        State.Name = name;
        await state.WriteStateAsync();
        return Settings();
    }

    public Task<OrgSettings?> GetAsync() => Task.FromResult(State.Created ? Settings() : null);

    public Task<OrgPolicy> GetPolicyAsync()
    {
        EnsureCreated();
        return Task.FromResult(Policy());
    }

    public async Task<OrgSummary> GetSummaryAsync()
    {
        EnsureCreated();
        var counts = await GrainFactory.GetDeviceDirectory(OrgId).CountAsync();
        return new OrgSummary(Settings(), counts);
    }

    public async Task<OrgSettings> UpdateAsync(OrgSettingsPatch patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        EnsureCreated();
        var name = patch.Name is null ? State.Name : InputRules.RequireText(patch.Name, "name", 200);
        if (patch.EnrollmentPeriod is { } period && (period < MinEnrollmentPeriod || period > MaxEnrollmentPeriod))
        {
            throw FleetMfaException.Validation($"enrollment period must be between {MinEnrollmentPeriod.TotalMinutes} minutes and {MaxEnrollmentPeriod.TotalDays} days.");
        }

        State.Name = name;
        State.EnrollmentPeriod = patch.EnrollmentPeriod ?? State.EnrollmentPeriod;
        await state.WriteStateAsync();
        return Settings();
    }

    /// <summary>
    /// Records the switch, then hands the policy to every index shard in parallel; each shard passes it to its devices
    /// with MFA on and reports back. The call returns once every shard is done or after <see cref="FanOutWait"/>,
    /// whichever comes first; a reminder keeps unfinished shards going, across restarts too. Once the switch is
    /// stored it has succeeded: a shard that cannot be reached yet is the reminder's to retry, not the caller's error
    /// (over 30,000 devices the shards' answers queued behind storage past Orleans' 30 s response timeout, and the
    /// request failed while the switch went on to completion).
    /// </summary>
    public async Task<OrgSettings> SetTotpEnabledAsync(bool enabled)
    {
        EnsureCreated();
        if (State.TotpEnabled != enabled)
        {
            State.TotpEnabled = enabled;
            State.PolicyVersion++;
            State.PolicyFannedOutShards = 0;
            await state.WriteStateAsync();
            await this.RegisterOrUpdateReminder(FanOutReminder, FanOutReminderPeriod, FanOutReminderPeriod);
            LogTotpSwitched(logger, OrgId, enabled, State.PolicyVersion);
        }

        var fanOut = FanOutPolicyAsync();
        try
        {
            await fanOut.WaitAsync(FanOutWait, time);
        }
        catch (TimeoutException)
        {
            fanOut.Ignore();
            LogFanOutContinues(logger, OrgId, State.PolicyVersion);
        }
        catch (Exception ex) when (ex is not FleetMfaException)
        {
            LogFanOutIncomplete(logger, OrgId, State.PolicyVersion, ex);
        }

        return Settings();
    }

    public async Task PolicyFannedOutAsync(int shard, long version)
    {
        var bit = 1UL << shard;
        if (version != State.PolicyVersion || shard is < 0 or >= GrainKeys.DeviceIndexShards || (State.PolicyFannedOutShards & bit) != 0)
        {
            return;
        }

        State.PolicyFannedOutShards |= bit;
        await state.WriteStateAsync();
        if (State.PolicyFannedOutShards == ulong.MaxValue)
        {
            LogPolicyFannedOut(logger, OrgId, version);
            await StopFanOutReminderAsync();
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (State.PolicyFannedOutShards == ulong.MaxValue)
        {
            await StopFanOutReminderAsync();
            return;
        }

        await FanOutPolicyAsync();
    }

    /// <summary>Hands the current policy to the shards that have not confirmed it (each ignores a version it has handed out).</summary>
    private Task FanOutPolicyAsync()
    {
        var policy = Policy();
        var pending = Enumerable.Range(0, GrainKeys.DeviceIndexShards).Where(s => (State.PolicyFannedOutShards & (1UL << s)) == 0);
        return Task.WhenAll(pending.Select(s => GrainFactory.GetDeviceIndexShard(OrgId, s).ApplyOrgPolicyAsync(policy)));
    }

    private async Task StopFanOutReminderAsync()
    {
        if (await this.GetReminder(FanOutReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public async Task AddRolloutAsync(string rolloutId)
    {
        EnsureCreated();
        State.RecentRollouts.Insert(0, Slug.Require(rolloutId, "rolloutId"));
        if (State.RecentRollouts.Count > MaxRecentRollouts)
        {
            State.RecentRollouts.RemoveRange(MaxRecentRollouts, State.RecentRollouts.Count - MaxRecentRollouts);
        }

        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> GetRolloutIdsAsync()
    {
        EnsureCreated();
        return Task.FromResult<IReadOnlyList<string>>([.. State.RecentRollouts]);
    }

    public async Task<ApiKeyCreated> CreateApiKeyAsync(string name)
    {
        EnsureCreated();
        name = InputRules.RequireText(name, "name", 100);
        if (State.ApiKeys.Count >= MaxApiKeys)
        {
            throw new FleetMfaException(ErrorCodes.Conflict, $"An org holds at most {MaxApiKeys} operator keys.");
        }

        var created = await AddKeyAsync(State.ApiKeys, ApiKeys.OperatorPrefix, name);
        LogApiKeyCreated(logger, OrgId, created.KeyId);
        return created;
    }

    public Task<bool> IsApiKeyValidAsync(string keyId, byte[] secretHash) =>
        Task.FromResult(State.Created && Matches(State.ApiKeys, keyId, secretHash));

    public Task<string?> FindApiKeyNameAsync(string keyId, byte[] secretHash) =>
        Task.FromResult(State.Created && secretHash is not null
            ? State.ApiKeys.Find(k => k.KeyId == keyId && ApiKeys.HashesEqual(k.SecretHash, secretHash))?.Name
            : null);

    public async Task<ApiKeyCreated> CreateConnectKeyAsync(string name)
    {
        EnsureCreated();
        name = InputRules.RequireText(name, "name", 100);
        if (State.ConnectKeys.Count >= MaxApiKeys)
        {
            throw new FleetMfaException(ErrorCodes.Conflict, $"An org holds at most {MaxApiKeys} connect keys; revoke one first.");
        }

        var created = await AddKeyAsync(State.ConnectKeys, ApiKeys.ConnectPrefix, name);
        LogConnectKeyCreated(logger, OrgId, created.KeyId);
        return created;
    }

    public async Task RevokeConnectKeyAsync(string keyId)
    {
        EnsureCreated();
        if (State.ConnectKeys.RemoveAll(k => k.KeyId == keyId) == 0)
        {
            throw FleetMfaException.NotFound($"Connect key '{keyId}' does not exist in org '{OrgId}'.");
        }

        await state.WriteStateAsync();
        LogConnectKeyRevoked(logger, OrgId, keyId);
    }

    public Task<bool> IsConnectKeyValidAsync(string keyId, byte[] secretHash) =>
        Task.FromResult(State.Created && Matches(State.ConnectKeys, keyId, secretHash));

    private static bool Matches(List<ApiKeyRecord> keys, string keyId, byte[] secretHash) =>
        keys.Exists(k => k.KeyId == keyId && ApiKeys.HashesEqual(k.SecretHash, secretHash));

    private async Task<ApiKeyCreated> AddKeyAsync(List<ApiKeyRecord> keys, string prefix, string name)
    {
        var (keyId, secret, key) = ApiKeys.NewOrgKey(prefix, OrgId);
        var record = new ApiKeyRecord { KeyId = keyId, Name = name, SecretHash = ApiKeys.Hash(secret), CreatedAt = time.GetUtcNow() };
        keys.Add(record);
        await state.WriteStateAsync();
        return new ApiKeyCreated(keyId, name, key, record.CreatedAt);
    }

    private void EnsureCreated()
    {
        if (!State.Created)
        {
            throw FleetMfaException.NotFound($"Org '{OrgId}' does not exist.");
        }
    }

    private OrgPolicy Policy() => new(State.TotpEnabled, State.Totp, State.PolicyVersion);

    private OrgSettings Settings() =>
        new(OrgId, State.Name, State.TotpEnabled, State.Totp, State.EnrollmentPeriod, State.CreatedAt,
            new PolicyFanOut(State.PolicyVersion, System.Numerics.BitOperations.PopCount(State.PolicyFannedOutShards), GrainKeys.DeviceIndexShards));
}
