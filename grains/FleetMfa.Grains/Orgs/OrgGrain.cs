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
    [PersistentState(OrgGrain.StateName, StorageNames.Fleet)] IPersistentState<OrgState> state,
    DeepCopier<OrgState> copier,
    ILogger<OrgGrain> logger,
    TimeProvider time) : Grain, IOrgGrain, IRemindable
{
    public const string StateName = "org";
    public const int MaxRecentRollouts = 50;
    internal const string FanOutReminder = "policy-fan-out";
    internal static readonly TimeSpan FanOutReminderPeriod = TimeSpan.FromMinutes(1);

    /// <summary>How long the switch request waits for the index shards to store the policy before it returns (well inside Orleans' 30 s response timeout).</summary>
    internal static readonly TimeSpan FanOutWait = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan DefaultEnrollmentPeriod = TimeSpan.FromDays(7);
    public static readonly TimeSpan MinEnrollmentPeriod = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxEnrollmentPeriod = TimeSpan.FromDays(90);
    public const int MaxApiKeys = 100;

    /// <summary>A key's lifetime, when it has one: at least an hour, at most ten years.</summary>
    public const int MinKeyLifetimeHours = 1;
    public const int MaxKeyLifetimeHours = 87_600;
    public static readonly TimeSpan MinKeyLifetime = TimeSpan.FromHours(MinKeyLifetimeHours);
    public static readonly TimeSpan MaxKeyLifetime = TimeSpan.FromHours(MaxKeyLifetimeHours);
    public const int MaxConnectKeyUses = 100_000;

    /// <summary>A key's last use is stored at most this often: a busy key costs no storage write per request.</summary>
    public static readonly TimeSpan LastUseResolution = TimeSpan.FromMinutes(1);

    private readonly HashSet<string> _useWritesSent = new(StringComparer.Ordinal);
    private OrgState? _stored;

    private string OrgId => this.GetPrimaryKeyString();

    private OrgState State => state.State;

    /// <summary>The state as stored: what interleaving reads see while a write is in flight.</summary>
    private OrgState Stored => _stored ?? state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _stored = state.State;
        if (State.Created && State.PolicyFannedOutShards != ulong.MaxValue)
        {
            // A switch stored by an activation that went before every shard confirmed it (a crash, a lost answer): the
            // fan-out carries on now, in a turn of its own, rather than at the reminder's next tick.
            this.RegisterGrainTimer(_ => ResumeFanOutAsync(), TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

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
    /// Records the switch, then hands the policy to every index shard in parallel. A shard stores it and answers
    /// without waiting for its devices: it passes the policy down to those with MFA on in the background and reports
    /// back (<see cref="PolicyFannedOutAsync"/>) once every one has acknowledged it. The call returns once every shard
    /// has stored the policy or after <see cref="FanOutWait"/>, whichever comes first; a reminder keeps unfinished
    /// shards going, across restarts too. Once the switch is stored it has succeeded: a shard that cannot be reached
    /// yet is the reminder's to retry, not the caller's error.
    /// </summary>
    public async Task<OrgSettings> SetTotpEnabledAsync(bool enabled)
    {
        EnsureCreated();
        if (State.TotpEnabled != enabled || State.PolicyFannedOutShards != ulong.MaxValue)
        {
            // Before the write that leaves shards to tell: a crash between the two must not leave a stored switch that
            // nothing hands down. A reminder armed for a write that then failed finds nothing to do and removes itself.
            // A stored fan-out that is not finished (a retry of the request) is armed again here, too.
            await this.RegisterOrUpdateReminder(FanOutReminder, FanOutReminderPeriod, FanOutReminderPeriod);
        }

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
        if (reminderName != FanOutReminder)
        {
            return;
        }

        if (State.PolicyFannedOutShards == ulong.MaxValue)
        {
            // What storage holds decides, not what this activation last knew: a write whose answer was lost (refused
            // here, stored there) may have stored a switch this activation never saw.
            await state.ReadStateAsync();
            _stored = state.State;
        }

        if (State.PolicyFannedOutShards == ulong.MaxValue)
        {
            // Every shard confirmed the policy, or the write that armed the reminder failed: nothing is left to do.
            await StopFanOutReminderAsync();
            return;
        }

        await FanOutPolicyAsync();
    }

    /// <summary>The turn a new activation runs when storage shows a fan-out unfinished: the reminder is armed (a state stored before it was armed first), then the shards are told.</summary>
    private async Task ResumeFanOutAsync()
    {
        try
        {
            await this.RegisterOrUpdateReminder(FanOutReminder, FanOutReminderPeriod, FanOutReminderPeriod);
            LogFanOutResumed(logger, OrgId, State.PolicyVersion);
            await FanOutPolicyAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFanOutIncomplete(logger, OrgId, State.PolicyVersion, ex);
        }
    }

    /// <summary>Hands the current policy to the shards that have not confirmed it (a shard that has it makes sure its fan-out is running).</summary>
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

    public async Task<ApiKeyCreated> CreateApiKeyAsync(string name, TimeSpan? lifetime = null)
    {
        EnsureCreated();
        name = InputRules.RequireText(name, "name", 100);
        RequireLifetime(lifetime);
        if (State.ApiKeys.Count >= MaxApiKeys)
        {
            throw new FleetMfaException(ErrorCodes.Conflict, $"An org holds at most {MaxApiKeys} operator keys; revoke one first.");
        }

        var created = await AddKeyAsync(s => s.ApiKeys, ApiKeys.OperatorPrefix, name, lifetime, maxUses: null);
        LogApiKeyCreated(logger, OrgId, created.KeyId);
        return created;
    }

    public Task<IReadOnlyList<ApiKeyInfo>> ListApiKeysAsync()
    {
        EnsureCreated(Stored);
        var now = time.GetUtcNow();
        return Task.FromResult<IReadOnlyList<ApiKeyInfo>>(
            [.. Stored.ApiKeys.Select(k => new ApiKeyInfo(k.KeyId, k.Name, k.CreatedAt, k.LastUsedAt, k.ExpiresAt, !k.IsLive(now)))]);
    }

    public async Task RevokeApiKeyAsync(string keyId)
    {
        EnsureCreated();
        if (!await UpdateAsync(s => s.ApiKeys.RemoveAll(k => k.KeyId == keyId) > 0))
        {
            throw FleetMfaException.NotFound($"Operator key '{keyId}' does not exist in org '{OrgId}'.");
        }

        LogApiKeyRevoked(logger, OrgId, keyId);
    }

    public Task<bool> IsApiKeyValidAsync(string keyId, byte[] secretHash) =>
        Task.FromResult(Stored.Created && FindLive(Stored.ApiKeys, keyId, secretHash) is not null);

    public Task<string?> FindApiKeyNameAsync(string keyId, byte[] secretHash)
    {
        if (!Stored.Created || FindLive(Stored.ApiKeys, keyId, secretHash) is not { } key)
        {
            return Task.FromResult<string?>(null);
        }

        // This call interleaves with writes, so it does not write itself: it asks the grain, as a call of its own that
        // waits its turn, to store the use — once per key until that is done.
        if (IsUseDue(key) && _useWritesSent.Add(key.KeyId))
        {
            this.AsReference<IOrgGrain>().RecordApiKeyUseAsync(key.KeyId).Ignore();
        }

        return Task.FromResult<string?>(key.Name);
    }

    public async Task RecordApiKeyUseAsync(string keyId)
    {
        try
        {
            var now = time.GetUtcNow();
            await UpdateAsync(s => s.ApiKeys.Find(k => k.KeyId == keyId) is { } key && IsUseDue(key) && Touch(key, now));
        }
        finally
        {
            _useWritesSent.Remove(keyId);
        }
    }

    public async Task<ApiKeyCreated> CreateConnectKeyAsync(string name, TimeSpan? lifetime = null, int? maxUses = null)
    {
        EnsureCreated();
        name = InputRules.RequireText(name, "name", 100);
        RequireLifetime(lifetime);
        if (maxUses is < 1 or > MaxConnectKeyUses)
        {
            throw FleetMfaException.Validation($"maxUses must be between 1 and {MaxConnectKeyUses}.");
        }

        if (State.ConnectKeys.Count >= MaxApiKeys)
        {
            throw new FleetMfaException(ErrorCodes.Conflict, $"An org holds at most {MaxApiKeys} connect keys; revoke one first.");
        }

        var created = await AddKeyAsync(s => s.ConnectKeys, ApiKeys.ConnectPrefix, name, lifetime, maxUses);
        LogConnectKeyCreated(logger, OrgId, created.KeyId);
        return created;
    }

    public Task<IReadOnlyList<ConnectKeyInfo>> ListConnectKeysAsync()
    {
        EnsureCreated(Stored);
        var now = time.GetUtcNow();
        return Task.FromResult<IReadOnlyList<ConnectKeyInfo>>(
            [.. Stored.ConnectKeys.Select(k => new ConnectKeyInfo(
                k.KeyId, k.Name, k.CreatedAt, k.LastUsedAt, k.ExpiresAt, k.ExpiresAt is { } expires && now >= expires,
                k.MaxUses is null ? null : k.Uses, k.MaxUses, k.MaxUses is { } max ? Math.Max(0, max - k.Uses) : null))]);
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
        Task.FromResult(Stored.Created && FindLive(Stored.ConnectKeys, keyId, secretHash) is not null);

    public async Task<bool> UseConnectKeyAsync(string keyId, byte[] secretHash)
    {
        if (!State.Created || FindLive(State.ConnectKeys, keyId, secretHash) is not { } key)
        {
            return false;
        }

        // A limited key's use is stored before the enrollment goes ahead: a write that fails spends nothing and
        // enrolls nothing, and no crash can hand out more enrollments than the limit.
        if (key.MaxUses is not null || IsUseDue(key))
        {
            var now = time.GetUtcNow();
            await UpdateAsync(s => s.ConnectKeys.Find(k => k.KeyId == keyId) is { } k && (k.MaxUses is not null ? Spend(k, now) : Touch(k, now)));
        }

        return true;
    }

    private ApiKeyRecord? FindLive(List<ApiKeyRecord> keys, string keyId, byte[] secretHash)
    {
        var now = time.GetUtcNow();
        return keys.Find(k => k.Opens(keyId, secretHash, now));
    }

    private bool IsUseDue(ApiKeyRecord key) => key.LastUsedAt is not { } last || time.GetUtcNow() - last >= LastUseResolution;

    private static bool Touch(ApiKeyRecord key, DateTimeOffset now)
    {
        key.LastUsedAt = now;
        return true;
    }

    private static bool Spend(ApiKeyRecord key, DateTimeOffset now)
    {
        key.Uses++;
        return Touch(key, now);
    }

    private static void RequireLifetime(TimeSpan? lifetime)
    {
        if (lifetime is { } l && (l < MinKeyLifetime || l > MaxKeyLifetime))
        {
            throw FleetMfaException.Validation($"expiresInHours must be between {MinKeyLifetime.TotalHours} and {MaxKeyLifetime.TotalHours}.");
        }
    }

    private async Task<ApiKeyCreated> AddKeyAsync(Func<OrgState, List<ApiKeyRecord>> keys, string prefix, string name, TimeSpan? lifetime, int? maxUses)
    {
        var (keyId, secret, key) = ApiKeys.NewOrgKey(prefix, OrgId);
        var now = time.GetUtcNow();
        var record = new ApiKeyRecord
        {
            KeyId = keyId, Name = name, SecretHash = ApiKeys.Hash(secret), CreatedAt = now, ExpiresAt = now + lifetime, MaxUses = maxUses,
        };
        await UpdateAsync(s =>
        {
            keys(s).Add(record);
            return true;
        });
        return new ApiKeyCreated(keyId, name, key, record.CreatedAt, record.ExpiresAt, maxUses);
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
