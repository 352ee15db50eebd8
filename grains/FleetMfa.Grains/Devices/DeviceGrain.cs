using FleetMfa.Grains.Audit;
using FleetMfa.Grains.Diagnostics;
using FleetMfa.Grains.Internal;
using FleetMfa.Grains.Rules;
using FleetMfa.Grains.Twin;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization;

namespace FleetMfa.Grains.Devices;

/// <summary>
/// A device and its MFA twin: a thin shell around <see cref="DeviceTwin"/>, whose decisions it stores together with
/// their effects (the outbox) in one write and then carries out. An effect that fails stays in the outbox and is tried
/// again by one timer, and on the next activation; nothing is published, indexed or told for a change that was not
/// stored, and a write that fails leaves the state as stored (<see cref="StateUpdates"/>). The index shard hands the org
/// policy down one-way and waits on no device, so the device's effects (its row, which acknowledges the policy) may
/// call the shard within the same turn without a cycle. Users send their enrollment down as one-way updates carrying the
/// secret already sealed to this device's key; the device stores them and builds its desired state from them alone,
/// and calls a user only to bind, unbind, share its key or acknowledge — calls a user answers without calling a device.
/// What is not stored lives here only: presence, the secret versions the agent holds, publish times, the freshest
/// report time and "last seen" — all of which the agent sends again.
/// A decommissioned device (<see cref="DecommissionTwin.Decommission"/>) is revoked by a reminder once its grace period is
/// over (or at once when its agent acknowledges the wipe), and forgotten — index row and state — by the same reminder,
/// or the next call, once its retention is over.
/// </summary>
public sealed partial class DeviceGrain(
    [PersistentState(DeviceGrain.StateName, StorageNames.Fleet)] IPersistentState<DeviceState> state,
    DeepCopier<DeviceState> copier,
    IDesiredStatePublisher publisher,
    IDeviceAccessRevoker revoker,
    IOptions<DecommissionOptions> decommissionOptions,
    IAuditLog auditLog,
    FleetMetrics metrics,
    ILogger<DeviceGrain> logger,
    TimeProvider time) : Grain, IDeviceGrain, IRemindable
{
    public const string StateName = "device";

    /// <summary>The reminder that revokes a decommissioned device after its grace period and forgets it after its retention.</summary>
    internal const string DecommissionReminder = "decommission";

    /// <summary>How often the decommission reminder comes back while the device waits for its revocation, and after it.</summary>
    private static readonly TimeSpan RevocationRetryPeriod = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan ExpiryRetryPeriod = TimeSpan.FromDays(1);

    /// <summary>How often effects that failed are tried again.</summary>
    private static readonly TimeSpan OutboxRetryPeriod = TimeSpan.FromSeconds(5);

    /// <summary>A report that is behind right after a publish is usually the agent's connect report racing the retained message.</summary>
    private static readonly TimeSpan RepublishInterval = TimeSpan.FromSeconds(3);

    /// <summary>How much older than the latest report taken a report may be and still count as one that arrived late.</summary>
    private static readonly TimeSpan StaleReportWindow = TimeSpan.FromMinutes(10);

    private readonly Dictionary<string, int> _reportedUsers = new(StringComparer.Ordinal);
    private string _orgId = "";
    private string _deviceId = "";
    private bool _online;
    private DateTimeOffset? _lastSeen;
    private DateTimeOffset? _lastReportAt;
    private DeviceRow? _indexedRow;
    private readonly PublishHistory _published = new();

    /// <summary>How many effects at the head of the stored outbox this activation has carried out (the next write drops them).</summary>
    private int _done;
    private IGrainTimer? _outboxTimer;
    private IGrainTimer? _graceTimer;

    private DeviceState State => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_orgId, _deviceId) = GrainKeys.Split(this.GetPrimaryKeyString());
        (_lastSeen, _lastReportAt) = (State.LastSeen, State.LastReportAt);
        if (State.Outbox.Count > 0)
        {
            // Left by an activation that ended before it had done everything (or had done it, and could not say so).
            DrainLater(TimeSpan.Zero);
        }

        if (State.Decommission is { } decommission)
        {
            // The reminder does it too; a timer keeps the grace period exact while the device is active.
            WatchDecommission(decommission);
        }

        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // The connected-agents gauge counts online devices of live activations; a new activation counts again on presence.
        if (_online)
        {
            _online = false;
            metrics.AgentDisconnected();
        }

        return Task.CompletedTask;
    }

    public async Task<DeviceDetail> RegisterAsync(DeviceRegistration registration)
    {
        await ForgetIfExpiredAsync();
        var policy = State.Policy ?? await GrainFactory.GetOrg(_orgId).GetPolicyAsync();
        var first = !State.Registered;
        await DecideAsync(s => DeviceTwin.Register(s, registration, policy, time.GetUtcNow()));
        if (first)
        {
            LogRegistered(logger, _orgId, _deviceId, State.Os);
        }

        return Detail();
    }

    public async Task<DeviceDetail> EnrollAgentAsync(AgentEnrollment enrollment)
    {
        await ForgetIfExpiredAsync();
        var policy = State.Policy ?? await GrainFactory.GetOrg(_orgId).GetPolicyAsync();
        await DecideAsync(s => DeviceTwin.EnrollAgent(s, enrollment, policy, time.GetUtcNow()));
        LogAgentEnrolled(logger, _orgId, _deviceId);
        return Detail();
    }

    public Task<bool> IsMqttPasswordValidAsync(byte[] passwordHash) => Task.FromResult(DeviceCredentials.AcceptsPassword(State, passwordHash));

    public Task<bool> IsClientCertificateValidAsync(string serial) =>
        Task.FromResult(DeviceCredentials.AcceptsCertificate(State, serial, time.GetUtcNow()));

    public Task<bool> MayRenewCertificateAsync(byte[] publicKey) => Task.FromResult(DeviceCredentials.MayRenew(State, publicKey));

    public async Task RenewCertificateAsync(DeviceCertificate renewed)
    {
        await DecideAsync(s => DeviceCredentials.Renew(s, renewed));
        LogCertificateRenewed(logger, _orgId, _deviceId, renewed.Serial, renewed.NotAfter);
    }

    public async Task<DeviceDetail?> GetAsync()
    {
        await ForgetIfExpiredAsync();
        return State.Registered ? Detail() : null;
    }

    public async Task<DecommissionInfo> DecommissionAsync()
    {
        await ForgetIfExpiredAsync();
        EnsureRegistered();
        if (await DecideAsync(s => DecommissionTwin.Decommission(s, time.GetUtcNow())))
        {
            LogDecommissioned(logger, _orgId, _deviceId, State.Decommission!.Version, State.Revoked);
        }

        WatchDecommission(State.Decommission!);
        return DeviceViews.Decommission(State.Decommission!);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == DecommissionReminder ? CheckDecommissionAsync() : Task.CompletedTask;

    /// <summary>Revokes a decommissioned device whose grace period is over, forgets one whose retention is over; a device in service needs no reminder.</summary>
    private async Task CheckDecommissionAsync()
    {
        if (State.Decommission is null)
        {
            if (await this.GetReminder(DecommissionReminder) is { } stray)
            {
                await this.UnregisterReminder(stray);
            }

            return;
        }

        if (await ForgetIfExpiredAsync())
        {
            return;
        }

        if (await DecideAsync(s => DecommissionTwin.RevokeAfterGrace(s, time.GetUtcNow(), decommissionOptions.Value.RevokeGrace)))
        {
            LogRevoked(logger, _orgId, _deviceId, false);
        }
    }

    /// <summary>Checks the decommission again when its grace period is over (this activation only; the reminder is what lasts).</summary>
    private void WatchDecommission(DeviceDecommission decommission)
    {
        _graceTimer?.Dispose();
        _graceTimer = null;
        if (decommission.RevokedAt is null)
        {
            var due = decommission.At + decommissionOptions.Value.RevokeGrace - time.GetUtcNow();
            _graceTimer = this.RegisterGrainTimer(_ => CheckDecommissionAsync(), due > TimeSpan.Zero ? due : TimeSpan.Zero, RevocationRetryPeriod);
        }
    }

    /// <summary>
    /// Forgets a decommissioned device whose retention is over: revoked first (should the grace check not have run),
    /// every effect carried out, then its index row and its state removed. True when the device is gone.
    /// </summary>
    private async Task<bool> ForgetIfExpiredAsync()
    {
        var retention = decommissionOptions.Value.Retention;
        if (!DecommissionTwin.IsExpired(State, time.GetUtcNow(), retention))
        {
            return false;
        }

        await DecideAsync(s => DecommissionTwin.RevokeAfterGrace(s, time.GetUtcNow(), TimeSpan.Zero));
        await DrainAsync();
        if (_done < State.Outbox.Count)
        {
            throw new InvalidOperationException($"Device {_orgId}/{_deviceId} cannot be forgotten yet: effects of its revocation are still to be done.");
        }

        await GrainFactory.GetDeviceIndexShardFor(_orgId, _deviceId).RemoveAsync(_deviceId);
        if (await this.GetReminder(DecommissionReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        await state.ClearStateAsync();
        state.State = new DeviceState();
        (_done, _indexedRow, _lastSeen, _lastReportAt, _online) = (0, null, null, null, false);
        _reportedUsers.Clear();
        _graceTimer?.Dispose();
        _graceTimer = null;
        LogForgotten(logger, _orgId, _deviceId);
        return true;
    }

    public async Task<DeviceDetail> UpdateSettingsAsync(DeviceSettingsPatch patch)
    {
        EnsureRegistered();
        await DecideAsync(s => DeviceTwin.UpdateSettings(s, patch));
        return Detail();
    }

    public async Task<DeviceDetail> EnableMfaAsync(bool force)
    {
        EnsureRegistered();
        var policy = await GrainFactory.GetOrg(_orgId).GetPolicyAsync();
        if (await DecideAsync(s => DeviceTwin.EnableMfa(s, force, policy)))
        {
            LogMfaSwitched(logger, _orgId, _deviceId, true, State.DesiredVersion);
        }

        return Detail();
    }

    public async Task<DeviceDetail> DisableMfaAsync()
    {
        EnsureRegistered();
        if (await DecideAsync(s => DeviceTwin.DisableMfa(s)))
        {
            LogMfaSwitched(logger, _orgId, _deviceId, false, State.DesiredVersion);
        }

        return Detail();
    }

    public async Task<RolloutStep> ApplyRolloutAsync(RolloutTicket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        if (!State.Registered)
        {
            return NotFoundStep();
        }

        if (State.Decommission is not null)
        {
            return DeviceTwin.SettledStep(State, State.DesiredVersion)!;
        }

        var policy = ticket.Action == RolloutAction.EnableMfa ? await GrainFactory.GetOrg(_orgId).GetPolicyAsync() : null;
        try
        {
            // The switch and the rollout's watch go into one write.
            await DecideAsync(s => ticket.Action == RolloutAction.EnableMfa ? DeviceTwin.EnableMfa(s, ticket.Force, policy!, ticket) : DeviceTwin.DisableMfa(s, ticket));
        }
        catch (FleetMfaException ex) when (ErrorCodes.IsOsRule(ex.Code))
        {
            return new RolloutStep(RolloutOutcome.Rejected, State.DesiredVersion, ex.Code, ex.Message);
        }

        return await WatchAsync(ticket, State.DesiredVersion);
    }

    public async Task<RolloutStep> CheckRolloutAsync(RolloutTicket ticket, long version)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        if (!State.Registered)
        {
            return NotFoundStep();
        }

        // A rollout asks again after a crash: the activation that died may have stored an ack without indexing it.
        await SyncIndexAsync();
        return await WatchAsync(ticket, version);
    }

    /// <summary>The final step for <paramref name="version"/>, or pending after remembering whom to tell.</summary>
    private async Task<RolloutStep> WatchAsync(RolloutTicket ticket, long version)
    {
        RolloutStep? step = null;
        await DecideAsync(s =>
        {
            step = DeviceTwin.Watch(s, ticket, version, out var effects);
            return effects;
        });
        if (step!.Outcome == RolloutOutcome.Pending && !PublishPending && time.GetUtcNow() - _published.LastAt >= RepublishInterval)
        {
            // Still waiting when asked (again), with no publish of it waiting in the outbox: the ack may have been lost with
            // a silo, or the desired state itself. The agent answers every desired state it receives.
            await PublishDesiredAsync();
        }

        return step;
    }

    private RolloutStep NotFoundStep() => new(RolloutOutcome.Failed, 0, ErrorCodes.NotFound, $"Device '{_deviceId}' does not exist in org '{_orgId}'.");

    /// <summary>
    /// An index shard's fan-out (one-way): the policy is stored, and the effects bring the row — which carries the policy
    /// version and so acknowledges it — to the shard. A policy that changes nothing (sent again because the shard did not
    /// see the row: a row write lost with a shard, an acknowledgement slower than its timeout) is acknowledged all the
    /// same; otherwise the shard would send it forever. A write that fails is logged: the shard sends it again.
    /// </summary>
    public async Task ApplyOrgPolicyAsync(OrgPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        try
        {
            if (!await DecideAsync(s => DeviceTwin.TakePolicy(s, policy)) && State.Registered)
            {
                await SyncIndexAsync(throwOnFailure: true, always: true);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPolicyNotTaken(logger, _orgId, _deviceId, policy.Version, ex);
        }
    }

    public async Task<DeviceUserStatus> BindUserAsync(string userId, string localUsername)
    {
        EnsureRegistered();
        // Before the user grain records the device: a decommissioned device binds nobody.
        DecommissionTwin.EnsureInService(State);

        Slug.Require(userId, "userId");
        localUsername = InputRules.RequireLocalUsername(localUsername);
        if (State.Users.Any(u => u.Value.LocalUsername == localUsername && u.Key != userId))
        {
            throw new FleetMfaException(ErrorCodes.Conflict, $"Local account '{localUsername}' is already bound to another user on this device.");
        }

        // One call to the user, which records this device and its key and answers its enrollment sealed to that key; the
        // user never calls a device back in a call (its updates are one-way messages), so this cannot close a cycle.
        var update = await GrainFactory.GetUser(_orgId, userId).AddDeviceAsync(_deviceId, State.PublicKey);
        await DecideAsync(s => UserBindingTwin.Bind(s, userId, localUsername, update));
        return UserStatus(userId, State.Users[userId]);
    }

    public async Task UnbindUserAsync(string userId)
    {
        EnsureRegistered();
        await DecideAsync(s => UserBindingTwin.Unbind(s, userId));
    }

    public Task<IReadOnlyList<DeviceUserStatus>> GetUsersAsync()
    {
        EnsureRegistered();
        return Task.FromResult<IReadOnlyList<DeviceUserStatus>>([.. State.Users.Select(b => UserStatus(b.Key, b.Value)).OrderBy(u => u.UserId, StringComparer.Ordinal)]);
    }

    /// <summary>
    /// A user's update (one-way, from its outbox): stored when newer than what the binding holds, its effects carried out,
    /// then acknowledged to the user — only once stored, so an update whose write failed is sent again. The user waits on
    /// nothing here, so calling it back cannot deadlock.
    /// </summary>
    public async Task OnUserTotpChangedAsync(string userId, UserTotpUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        await DecideAsync(s => UserBindingTwin.TakeUserTotp(s, userId, update));
        try
        {
            // The revision this device holds now: a stale update is answered with the newer one it took before.
            var held = State.Users.TryGetValue(userId, out var bound) ? Math.Max(bound.Revision, update.Revision) : update.Revision;
            await GrainFactory.GetUser(_orgId, userId).OnDeviceTookAsync(_deviceId, held);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The user sends it again; this device takes nothing twice (the revision is not newer) and acknowledges again.
            LogUserAckFailed(logger, _orgId, _deviceId, userId, ex);
        }
    }

    public async Task ReportAsync(byte[] payload)
    {
        if (!State.HasAgent)
        {
            LogReportDropped(logger, _orgId, _deviceId, "the device has no enrolled agent");
            return;
        }

        if (DeviceReports.Parse(payload, out var problem) is not { } report)
        {
            LogReportDropped(logger, _orgId, _deviceId, problem!);
            return;
        }

        if (State.Decommission is not null)
        {
            // Only the wipe acknowledgement counts now; it revokes the device at once.
            if (await DecideAsync(s => DecommissionTwin.TakeWipeReport(s, report, time.GetUtcNow())))
            {
                LogRevoked(logger, _orgId, _deviceId, true);
                WatchDecommission(State.Decommission);
            }
            else
            {
                LogReportDropped(logger, _orgId, _deviceId, "the device is decommissioned (only its wipe acknowledgement counts)");
            }

            return;
        }

        // With several silos a device's reports reach different bridges (an MQTT shared subscription spreads them
        // message by message), so they can arrive out of order: one older than a report already taken would move the
        // applied version back and leave the device "pending" for good. Far older means the agent's clock was set back,
        // and the report is taken.
        if (_lastReportAt is { } last && report.At < last && last - report.At < StaleReportWindow)
        {
            LogReportDropped(logger, _orgId, _deviceId, "older than a report already taken (reports reached the silos out of order)");
            return;
        }

        var now = time.GetUtcNow();
        (_lastReportAt, _lastSeen) = (report.At, now);
        _reportedUsers.Clear();
        foreach (var user in report.Users)
        {
            _reportedUsers[user.UserId] = user.SecretVersion;
        }

        var before = (State.AppliedVersion, State.Status);
        if (!await DecideAsync(s => DeviceTwin.TakeReport(s, report, now)))
        {
            // Nothing stored changed; "last seen" alone reaches the index every so often (DeviceViews.NeedsIndexing).
            await SyncIndexAsync();
        }

        if (State.AppliedVersion > before.AppliedVersion)
        {
            metrics.DesiredAcked(_published.Acked(State.AppliedVersion, time.GetUtcNow()));
        }

        if (State.Status != before.Status)
        {
            LogStatusChanged(logger, _orgId, _deviceId, State.Status, State.AppliedVersion);
        }

        // Behind, and not because it refused this very version: the broker may have lost the retained message. Only a
        // report the agent sent well after the publish says so; one sent before it and delivered late (reports queue
        // behind a burst: 10,000 agents acknowledging at once) does not, and answering each of those with a publish
        // and so another report fed the queue (3.3 publishes per device in a 10,000-agent fan-out).
        if (report.AppliedVersion < State.DesiredVersion && report.FailedVersion != State.DesiredVersion &&
            now - _published.LastAt >= RepublishInterval && report.At - _published.LastAt >= RepublishInterval)
        {
            await PublishDesiredAsync();
        }
    }

    public async Task SetPresenceAsync(bool online)
    {
        if (!State.Registered || State.Decommission is not null || _online == online)
        {
            return;
        }

        _online = online;
        if (online)
        {
            _lastSeen = time.GetUtcNow();
            metrics.AgentConnected();
        }
        else
        {
            metrics.AgentDisconnected();
        }

        await SyncIndexAsync();
    }

    public async Task<IReadOnlyList<string>> UploadAuditAsync(byte[] payload)
    {
        // A decommissioned device's logins are recorded until it is revoked: it holds its credentials (and may be in use)
        // until then, and the trail must show what happened between the decommission and the wipe.
        if (!State.HasAgent || State.Revoked || DeviceAuditEvents.Parse(payload) is not { } batch)
        {
            LogAuditDropped(logger, _orgId, _deviceId, payload?.Length ?? 0);
            return [];
        }

        var now = time.GetUtcNow();
        var entries = batch.Events.Select(e => DeviceAuditEvents.ToEntry(_orgId, _deviceId, e, now)).OfType<AuditEntry>().ToList();

        // Stored before this call returns; a redelivered batch finds its records there and adds nothing.
        var added = entries.Count == 0 ? [] : await auditLog.AppendAsync(entries);
        foreach (var entry in added.Where(a => a.Action == Protocol.Documents.AuditActions.Login))
        {
            metrics.Verified(entry.Outcome!, entry.Late);
        }

        metrics.AuditRecorded(AuditKind.Device, added.Count);
        LogAuditReceived(logger, _orgId, _deviceId, batch.Events.Count, added.Count, added.Count(e => e.Late), batch.Events.Count - entries.Count);
        return DeviceAuditEvents.Settled(batch);
    }

    /// <summary>
    /// Makes a decision on a copy of the state and stores it with its effects appended to the outbox (dropping those
    /// this activation has done); then carries the outbox out. True when something was stored.
    /// </summary>
    private async Task<bool> DecideAsync(Func<DeviceState, IReadOnlyList<DeviceEffect>?> decide)
    {
        var done = State.Outbox.Take(_done).ToList();
        var etag = state.Etag;
        var stored = await state.UpdateAsync(copier, s =>
        {
            if (decide(s) is not { } effects)
            {
                return null;
            }

            // Only what this activation did, should a conflict have brought another activation's outbox.
            if (s.Outbox.Take(done.Count).SequenceEqual(done))
            {
                s.Outbox.RemoveRange(0, done.Count);
            }

            foreach (var effect in effects.Where(e => !s.Outbox.Contains(e)))
            {
                s.Outbox.Add(effect);
            }

            return effects;
        });
        if (stored is null && state.Etag == etag)
        {
            return false;
        }

        // Stored; or nothing to decide on the state read back after a conflict, whose outbox (a write whose answer was
        // lost, or another activation's) this activation has not carried out: either way the whole outbox runs now.
        _done = 0;
        await DrainAsync();

        return stored is not null;
    }

    /// <summary>Whether the stored outbox still holds a publish not carried out.</summary>
    private bool PublishPending => State.Outbox.Skip(_done).Any(e => e.Kind == DeviceEffectKind.PublishDesired);

    /// <summary>Carries out the stored outbox from the first effect not done yet; a failure leaves the rest to the retry timer.</summary>
    private async Task DrainAsync()
    {
        while (_done < State.Outbox.Count)
        {
            var effect = State.Outbox[_done];
            try
            {
                await RunAsync(effect);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogEffectFailed(logger, _orgId, _deviceId, effect.Kind, ex);
                DrainLater(OutboxRetryPeriod);
                return;
            }

            _done++;
        }

        _outboxTimer?.Dispose();
        _outboxTimer = null;
    }

    /// <summary>A timer turn of its own (never interleaved with a call) that drains the outbox, every retry period until it is empty.</summary>
    private void DrainLater(TimeSpan dueTime)
    {
        _outboxTimer?.Dispose();
        _outboxTimer = this.RegisterGrainTimer(_ => DrainAsync(), dueTime, OutboxRetryPeriod);
    }

    private Task RunAsync(DeviceEffect effect) => effect.Kind switch
    {
        // Each publish carries the current version: one this activation published already (the outbox held behind a failed
        // effect while a rollout asked, or two decisions queued) is on the broker, retained, and is not published twice.
        DeviceEffectKind.PublishDesired => _published.LastVersion == State.DesiredVersion ? Task.CompletedTask : PublishDesiredAsync(throwOnFailure: true),
        DeviceEffectKind.SyncIndex => SyncIndexAsync(throwOnFailure: true),
        DeviceEffectKind.NotifyRollout => GrainFactory.GetRolloutShard(_orgId, effect.Rollout!.RolloutId, effect.Rollout.Shard).DeviceSettledAsync(_deviceId, effect.Step!),
        // Not for a user bound again since (the binding's own call told the user of it): the user must keep telling this device.
        DeviceEffectKind.ForgetUserBinding => State.Users.ContainsKey(effect.UserId!) ? Task.CompletedTask : GrainFactory.GetUser(_orgId, effect.UserId!).RemoveDeviceAsync(_deviceId),
        DeviceEffectKind.ShareKeyWithUser => ShareKeyWithUserAsync(effect.UserId!),
        DeviceEffectKind.RevokeAccess => revoker.RevokeDeviceAsync(_orgId, _deviceId, effect.Certificates ?? [], CancellationToken.None),
        DeviceEffectKind.ClearRetained => revoker.ClearRetainedAsync(_orgId, _deviceId, CancellationToken.None),
        DeviceEffectKind.ArmDecommissionReminder => ArmDecommissionReminderAsync(),
        _ => throw new InvalidOperationException($"Unknown device effect {effect.Kind}."),
    };

    /// <summary>
    /// The decommission reminder: due when the grace period ends (then every minute until the device is revoked), and
    /// once revoked, due when the retention ends (then every day until the device is forgotten).
    /// </summary>
    private Task ArmDecommissionReminderAsync()
    {
        if (State.Decommission is not { } decommission)
        {
            return Task.CompletedTask;
        }

        var options = decommissionOptions.Value;
        var (until, period) = decommission.RevokedAt is null
            ? (decommission.At + options.RevokeGrace, RevocationRetryPeriod)
            : (decommission.At + options.Retention, ExpiryRetryPeriod);
        var due = until - time.GetUtcNow();
        return this.RegisterOrUpdateReminder(DecommissionReminder, due > TimeSpan.Zero ? due : TimeSpan.Zero, period);
    }

    /// <summary>Gives a user still bound this device's key; the user answers by sealing its secret to it through its outbox.</summary>
    private Task ShareKeyWithUserAsync(string userId) =>
        State.Users.ContainsKey(userId) && State.PublicKey is { } key && State.Decommission is null
            ? GrainFactory.GetUser(_orgId, userId).AddDeviceAsync(_deviceId, key)
            : Task.CompletedTask;

    /// <summary>Builds and publishes the current desired state (with the prompted users' secrets as their user grains sealed them to the device's key).</summary>
    private async Task PublishDesiredAsync(bool throwOnFailure = false)
    {
        // A revoked device can receive nothing any more, and its retained message is cleared, not replaced.
        if (!State.HasAgent || State.Revoked)
        {
            return;
        }

        try
        {
            var desired = DesiredStates.Build(_orgId, _deviceId, State, time.GetUtcNow());
            var publishedAt = time.GetUtcNow();
            await publisher.PublishDesiredAsync(desired, CancellationToken.None);
            metrics.DesiredPublished();
            _published.Published(desired.Version, publishedAt, time.GetUtcNow());
            LogDesiredPublished(logger, _orgId, _deviceId, desired.Version, desired.Mfa, desired.Users.Count);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !throwOnFailure)
        {
            // A re-publish: the agent's next report, or the rollout's next check, asks again.
            LogPublishFailed(logger, _orgId, _deviceId, State.DesiredVersion, ex);
        }
    }

    /// <summary>Brings the index row in line with the stored state and the live presence; <paramref name="always"/> sends it even when the index has it.</summary>
    private async Task SyncIndexAsync(bool throwOnFailure = false, bool always = false)
    {
        try
        {
            var row = Row();
            if (always || DeviceViews.NeedsIndexing(row, _indexedRow))
            {
                await GrainFactory.GetDeviceIndexShardFor(_orgId, _deviceId).UpsertAsync(row);
                _indexedRow = row;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !throwOnFailure)
        {
            // Presence and "last seen" only: the next change, or the next report, brings the row along.
            LogIndexSyncFailed(logger, _orgId, _deviceId, ex);
        }
    }

    private void EnsureRegistered()
    {
        if (!State.Registered)
        {
            throw FleetMfaException.NotFound($"Device '{_deviceId}' does not exist in org '{_orgId}'.");
        }
    }

    private DeviceUserStatus UserStatus(string userId, BoundUser bound) =>
        DeviceViews.User(State, userId, bound, _reportedUsers.TryGetValue(userId, out var held) ? held : null);

    private DeviceRow Row() => DeviceViews.Row(_deviceId, State, _online, _lastSeen);

    private DeviceDetail Detail() => DeviceViews.Detail(_orgId, _deviceId, State, _online, _lastSeen);
}
