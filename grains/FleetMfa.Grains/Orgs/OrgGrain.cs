using FleetMfa.Grains.Internal;
using FleetMfa.Grains.Security;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;

namespace FleetMfa.Grains.Orgs;

/// <summary>
/// An org's settings, its TOTP switch and keys: a thin shell around <see cref="OrgDecisions"/>, whose decisions it makes
/// on a copy of the state and which take effect only once stored (<see cref="StateUpdates"/>): a write that fails
/// changes nothing, so a retry does the work and no policy version is ever handed out twice. After a switch is stored
/// the grain hands the policy to the index shards that have not confirmed it; a reminder, armed before the write, keeps
/// at it until every shard has. Calls that interleave (key checks, the policy devices read) see only what is stored
/// (<see cref="Stored"/>), never a change whose write is still in flight.
/// </summary>
public sealed partial class OrgGrain(
    [PersistentState(OrgGrain.StateName, StorageNames.Fleet)] IPersistentState<OrgState> state,
    DeepCopier<OrgState> copier,
    ILogger<OrgGrain> logger,
    TimeProvider time) : Grain, IOrgGrain, IRemindable
{
    public const string StateName = "org";
    internal const string FanOutReminder = "policy-fan-out";
    internal static readonly TimeSpan FanOutReminderPeriod = TimeSpan.FromMinutes(1);

    /// <summary>How long the switch request waits for the index shards to store the policy before it returns (well inside Orleans' 30 s response timeout).</summary>
    internal static readonly TimeSpan FanOutWait = TimeSpan.FromSeconds(10);

    private readonly HashSet<string> _useWritesSent = new(StringComparer.Ordinal);
    private OrgState? _stored;

    private string OrgId => this.GetPrimaryKeyString();

    private OrgState State => state.State;

    /// <summary>The state as stored: what interleaving reads see while a write is in flight.</summary>
    private OrgState Stored => _stored ?? state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _stored = state.State;
        if (State.Created && !OrgDecisions.IsFannedOut(State))
        {
            // A switch stored by an activation that went before every shard confirmed it (a crash, a lost answer): the
            // fan-out carries on now, in a turn of its own, rather than at the reminder's next tick.
            this.RegisterGrainTimer(_ => ResumeFanOutAsync(), TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

        return Task.CompletedTask;
    }

    /// <summary>Makes a decision on a copy and stores it when it changed something (<see cref="StateUpdates"/>); true when something was stored.</summary>
    private async Task<bool> DecideAndStoreAsync(Func<OrgState, bool> decide)
    {
        var stored = await state.UpdateAsync(copier, s => decide(s) ? s : null);
        _stored = state.State;
        return stored is not null;
    }

    public async Task<OrgSettings> CreateOrUpdateAsync(string name)
    {
        var created = !State.Created;
        var now = time.GetUtcNow();
        await DecideAndStoreAsync(s => OrgDecisions.CreateOrRename(s, name, now));
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
        return Task.FromResult(OrgViews.Policy(Stored));
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
        await DecideAndStoreAsync(s => OrgDecisions.Update(s, patch));
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
        if (OrgDecisions.SwitchLeavesShardsToTell(State, enabled))
        {
            // Before the write that leaves shards to tell: a crash between the two must not leave a stored switch that
            // nothing hands down. A reminder armed for a write that then failed finds nothing to do and removes itself.
            // A stored fan-out that is not finished (a retry of the request) is armed again here, too.
            await this.RegisterOrUpdateReminder(FanOutReminder, FanOutReminderPeriod, FanOutReminderPeriod);
        }

        if (await DecideAndStoreAsync(s => OrgDecisions.SwitchTotp(s, enabled)))
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
        if (await DecideAndStoreAsync(s => OrgDecisions.ConfirmFanOut(s, shard, version)) && OrgDecisions.IsFannedOut(State))
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

        if (OrgDecisions.IsFannedOut(State))
        {
            // What storage holds decides, not what this activation last knew: a write whose answer was lost (refused
            // here, stored there) may have stored a switch this activation never saw.
            await state.ReadStateAsync();
            _stored = state.State;
        }

        if (OrgDecisions.IsFannedOut(State))
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
        var policy = OrgViews.Policy(Stored);
        return Task.WhenAll(OrgDecisions.PendingShards(State).Select(s => GrainFactory.GetDeviceIndexShard(OrgId, s).ApplyOrgPolicyAsync(policy)));
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
        await DecideAndStoreAsync(s => OrgDecisions.AddRollout(s, rolloutId));
    }

    public Task<IReadOnlyList<string>> GetRolloutIdsAsync()
    {
        EnsureCreated(Stored);
        return Task.FromResult<IReadOnlyList<string>>([.. Stored.RecentRollouts]);
    }

    public async Task<ApiKeyCreated> CreateApiKeyAsync(string name, TimeSpan? lifetime = null)
    {
        var created = await AddKeyAsync(ApiKeys.OperatorPrefix, name, lifetime, maxUses: null, OrgDecisions.AddApiKey);
        LogApiKeyCreated(logger, OrgId, created.KeyId);
        return created;
    }

    public Task<IReadOnlyList<ApiKeyInfo>> ListApiKeysAsync()
    {
        EnsureCreated(Stored);
        return Task.FromResult(OrgViews.ApiKeys(Stored, time.GetUtcNow()));
    }

    public async Task RevokeApiKeyAsync(string keyId)
    {
        EnsureCreated();
        if (!await DecideAndStoreAsync(s => OrgDecisions.RevokeApiKey(s, keyId)))
        {
            throw FleetMfaException.NotFound($"Operator key '{keyId}' does not exist in org '{OrgId}'.");
        }

        LogApiKeyRevoked(logger, OrgId, keyId);
    }

    public Task<bool> IsApiKeyValidAsync(string keyId, byte[] secretHash) =>
        Task.FromResult(Stored.Created && OrgDecisions.FindLive(Stored.ApiKeys, keyId, secretHash, time.GetUtcNow()) is not null);

    public Task<string?> FindApiKeyNameAsync(string keyId, byte[] secretHash)
    {
        var now = time.GetUtcNow();
        if (!Stored.Created || OrgDecisions.FindLive(Stored.ApiKeys, keyId, secretHash, now) is not { } key)
        {
            return Task.FromResult<string?>(null);
        }

        // This call interleaves with writes, so it does not write itself: it asks the grain, as a call of its own that
        // waits its turn, to store the use — once per key until that is done.
        if (OrgDecisions.IsUseDue(key, now) && _useWritesSent.Add(key.KeyId))
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
            await DecideAndStoreAsync(s => OrgDecisions.RecordApiKeyUse(s, keyId, now));
        }
        finally
        {
            _useWritesSent.Remove(keyId);
        }
    }

    public async Task<ApiKeyCreated> CreateConnectKeyAsync(string name, TimeSpan? lifetime = null, int? maxUses = null)
    {
        var created = await AddKeyAsync(ApiKeys.ConnectPrefix, name, lifetime, maxUses, OrgDecisions.AddConnectKey);
        LogConnectKeyCreated(logger, OrgId, created.KeyId);
        return created;
    }

    public Task<IReadOnlyList<ConnectKeyInfo>> ListConnectKeysAsync()
    {
        EnsureCreated(Stored);
        return Task.FromResult(OrgViews.ConnectKeys(Stored, time.GetUtcNow()));
    }

    public async Task RevokeConnectKeyAsync(string keyId)
    {
        EnsureCreated();
        if (!await DecideAndStoreAsync(s => OrgDecisions.RevokeConnectKey(s, keyId)))
        {
            throw FleetMfaException.NotFound($"Connect key '{keyId}' does not exist in org '{OrgId}'.");
        }

        LogConnectKeyRevoked(logger, OrgId, keyId);
    }

    public Task<bool> IsConnectKeyValidAsync(string keyId, byte[] secretHash) =>
        Task.FromResult(Stored.Created && OrgDecisions.FindLive(Stored.ConnectKeys, keyId, secretHash, time.GetUtcNow()) is not null);

    public async Task<bool> UseConnectKeyAsync(string keyId, byte[] secretHash)
    {
        var now = time.GetUtcNow();
        if (!State.Created || OrgDecisions.FindLive(State.ConnectKeys, keyId, secretHash, now) is not { } key)
        {
            return false;
        }

        // A limited key's use is stored before the enrollment goes ahead: a write that fails spends nothing and
        // enrolls nothing, and no crash can hand out more enrollments than the limit — nor can a key that another
        // activation spent or revoked meanwhile (found on the state read back after a conflict).
        return !OrgDecisions.IsConnectKeyUseStored(key, now) || await DecideAndStoreAsync(s => OrgDecisions.RecordConnectKeyUse(s, keyId, secretHash, now));
    }

    /// <summary>Mints a key (<paramref name="prefix"/>: operator or connect), stores its record with <paramref name="add"/> and answers with the key — the only time it is shown.</summary>
    private async Task<ApiKeyCreated> AddKeyAsync(string prefix, string name, TimeSpan? lifetime, int? maxUses, Func<OrgState, ApiKeyRecord, bool> add)
    {
        EnsureCreated();
        var (keyId, secret, key) = ApiKeys.NewOrgKey(prefix, OrgId);
        var record = OrgDecisions.NewKey(keyId, ApiKeys.Hash(secret), name, lifetime, maxUses, time.GetUtcNow());
        await DecideAndStoreAsync(s => add(s, record));
        return new ApiKeyCreated(keyId, record.Name, key, record.CreatedAt, record.ExpiresAt, maxUses);
    }

    private void EnsureCreated(OrgState? of = null)
    {
        if (!(of ?? State).Created)
        {
            throw FleetMfaException.NotFound($"Org '{OrgId}' does not exist.");
        }
    }

    private OrgSettings Settings() => OrgViews.Settings(OrgId, Stored);
}
