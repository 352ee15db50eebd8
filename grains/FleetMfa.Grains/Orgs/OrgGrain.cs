using FleetMfa.Grains.Internal;
using FleetMfa.Grains.Rules;
using FleetMfa.Grains.Security;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;

namespace FleetMfa.Grains.Orgs;

/// <summary>
/// An org's settings, its TOTP switch and keys. Every change is decided on a copy of the state and takes effect only
/// once stored (<see cref="StateUpdates"/>): a write that fails changes nothing, so a retry does the work and no policy
/// version is ever handed out twice. Calls that interleave (key checks, the policy devices read) see only what is
/// stored (<see cref="Stored"/>), never a change whose write is still in flight.
/// </summary>
public sealed partial class OrgGrain(
    [PersistentState("org", StorageNames.Fleet)] IPersistentState<OrgState> state,
    DeepCopier<OrgState> copier,
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

    private OrgState? _stored;

    private string OrgId => this.GetPrimaryKeyString();

    private OrgState State => state.State;

    /// <summary>The state as stored: what interleaving reads see while a write is in flight.</summary>
    private OrgState Stored => _stored ?? state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _stored = state.State;
        return Task.CompletedTask;
    }

    /// <summary>Decides on a copy and stores it (<see cref="StateUpdates"/>); true when something was stored.</summary>
    private async Task<bool> UpdateAsync(Func<OrgState, bool> decide)
    {
        var stored = await state.UpdateAsync(copier, s => decide(s) ? s : null);
        _stored = state.State;
        return stored is not null;
    }

    public async Task<OrgSettings> CreateOrUpdateAsync(string name)
    {
        name = InputRules.RequireText(name, "name", 200);
        var created = !State.Created;
        await UpdateAsync(s =>
        {
            if (!s.Created)
            {
                s.Created = true;
                s.CreatedAt = time.GetUtcNow();
                s.PolicyVersion = 1;
            }

            s.Name = name;
            return true;
        });
        if (created)
        {
            LogOrgCreated(logger, OrgId);
        }

        return Settings();
    }

    public Task<OrgSettings?> GetAsync() => Task.FromResult(Stored.Created ? Settings() : null);

    public Task<OrgPolicy> GetPolicyAsync()
    {
        EnsureCreated(Stored);
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

        await UpdateAsync(s =>
        {
            s.Name = name;
            s.EnrollmentPeriod = patch.EnrollmentPeriod ?? s.EnrollmentPeriod;
            return true;
        });
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
        var switched = await UpdateAsync(s =>
        {
            if (s.TotpEnabled == enabled)
            {
                return false;
            }

            s.TotpEnabled = enabled;
            s.PolicyVersion++;
            s.PolicyFannedOutShards = 0;
            return true;
        });
        if (switched)
        {
            LogTotpSwitched(logger, OrgId, enabled, State.PolicyVersion);
        }

        if (State.PolicyFannedOutShards != ulong.MaxValue)
        {
            // Also when a switch was stored but its reminder not (a retry of the request lands here): the reminder
            // finishes a fan-out that this request does not.
            await this.RegisterOrUpdateReminder(FanOutReminder, FanOutReminderPeriod, FanOutReminderPeriod);
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
        if (!await UpdateAsync(s =>
            {
                if (version != s.PolicyVersion || shard is < 0 or >= GrainKeys.DeviceIndexShards || (s.PolicyFannedOutShards & bit) != 0)
                {
                    return false;
                }

                s.PolicyFannedOutShards |= bit;
                return true;
            }))
        {
            return;
        }

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
        Slug.Require(rolloutId, "rolloutId");
        await UpdateAsync(s =>
        {
            s.RecentRollouts.Remove(rolloutId);
            s.RecentRollouts.Insert(0, rolloutId);
            if (s.RecentRollouts.Count > MaxRecentRollouts)
            {
                s.RecentRollouts.RemoveRange(MaxRecentRollouts, s.RecentRollouts.Count - MaxRecentRollouts);
            }

            return true;
        });
    }

    public Task<IReadOnlyList<string>> GetRolloutIdsAsync()
    {
        EnsureCreated(Stored);
        return Task.FromResult<IReadOnlyList<string>>([.. Stored.RecentRollouts]);
    }

    public async Task<ApiKeyCreated> CreateApiKeyAsync(string name)
    {
        EnsureCreated();
        name = InputRules.RequireText(name, "name", 100);
        if (State.ApiKeys.Count >= MaxApiKeys)
        {
            throw new FleetMfaException(ErrorCodes.Conflict, $"An org holds at most {MaxApiKeys} operator keys.");
        }

        var created = await AddKeyAsync(s => s.ApiKeys, ApiKeys.OperatorPrefix, name);
        LogApiKeyCreated(logger, OrgId, created.KeyId);
        return created;
    }

    public Task<bool> IsApiKeyValidAsync(string keyId, byte[] secretHash) =>
        Task.FromResult(Stored.Created && Matches(Stored.ApiKeys, keyId, secretHash));

    public Task<string?> FindApiKeyNameAsync(string keyId, byte[] secretHash) =>
        Task.FromResult(Stored.Created && secretHash is not null
            ? Stored.ApiKeys.Find(k => k.KeyId == keyId && ApiKeys.HashesEqual(k.SecretHash, secretHash))?.Name
            : null);

    public async Task<ApiKeyCreated> CreateConnectKeyAsync(string name)
    {
        EnsureCreated();
        name = InputRules.RequireText(name, "name", 100);
        if (State.ConnectKeys.Count >= MaxApiKeys)
        {
            throw new FleetMfaException(ErrorCodes.Conflict, $"An org holds at most {MaxApiKeys} connect keys; revoke one first.");
        }

        var created = await AddKeyAsync(s => s.ConnectKeys, ApiKeys.ConnectPrefix, name);
        LogConnectKeyCreated(logger, OrgId, created.KeyId);
        return created;
    }

    public async Task RevokeConnectKeyAsync(string keyId)
    {
        EnsureCreated();
        if (!await UpdateAsync(s => s.ConnectKeys.RemoveAll(k => k.KeyId == keyId) > 0))
        {
            throw FleetMfaException.NotFound($"Connect key '{keyId}' does not exist in org '{OrgId}'.");
        }

        LogConnectKeyRevoked(logger, OrgId, keyId);
    }

    public Task<bool> IsConnectKeyValidAsync(string keyId, byte[] secretHash) =>
        Task.FromResult(Stored.Created && Matches(Stored.ConnectKeys, keyId, secretHash));

    private static bool Matches(List<ApiKeyRecord> keys, string keyId, byte[] secretHash) =>
        keys.Exists(k => k.KeyId == keyId && ApiKeys.HashesEqual(k.SecretHash, secretHash));

    private async Task<ApiKeyCreated> AddKeyAsync(Func<OrgState, List<ApiKeyRecord>> keys, string prefix, string name)
    {
        var (keyId, secret, key) = ApiKeys.NewOrgKey(prefix, OrgId);
        var record = new ApiKeyRecord { KeyId = keyId, Name = name, SecretHash = ApiKeys.Hash(secret), CreatedAt = time.GetUtcNow() };
        await UpdateAsync(s =>
        {
            keys(s).Add(record);
            return true;
        });
        return new ApiKeyCreated(keyId, name, key, record.CreatedAt);
    }

    private void EnsureCreated(OrgState? of = null)
    {
        if (!(of ?? State).Created)
        {
            throw FleetMfaException.NotFound($"Org '{OrgId}' does not exist.");
        }
    }

    private OrgPolicy Policy() => new(Stored.TotpEnabled, Stored.Totp, Stored.PolicyVersion);

    private OrgSettings Settings() =>
        new(OrgId, Stored.Name, Stored.TotpEnabled, Stored.Totp, Stored.EnrollmentPeriod, Stored.CreatedAt,
            new PolicyFanOut(Stored.PolicyVersion, System.Numerics.BitOperations.PopCount(Stored.PolicyFannedOutShards), GrainKeys.DeviceIndexShards));
}
