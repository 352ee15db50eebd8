using FleetMfa.Grains.Audit;
using FleetMfa.Grains.Diagnostics;
using FleetMfa.Grains.Rules;
using FleetMfa.Grains.Twin;
using FleetMfa.Grains.Internal;
using Microsoft.Extensions.Logging;

namespace FleetMfa.Grains.Devices;

/// <summary>
/// A device and its MFA twin. Every change to what the device must enforce (org switch, device switch, OS policy,
/// bound users and their enrollment) moves <see cref="DeviceState.DesiredVersion"/> on; the status follows the
/// version the device has applied.
/// </summary>
public sealed partial class DeviceGrain(
    [PersistentState("device", StorageNames.Fleet)] IPersistentState<DeviceState> state,
    IDesiredStatePublisher publisher,
    IAuditLog auditLog,
    FleetMetrics metrics,
    ILogger<DeviceGrain> logger,
    TimeProvider time) : Grain, IDeviceGrain
{
    private string _orgId = "";
    private string _deviceId = "";
    private DeviceRow? _indexedRow;
    private bool _desiredChanged;

    /// <summary>How stale the index's "last seen" of a device may get.</summary>
    internal static readonly TimeSpan LastSeenGranularity = TimeSpan.FromMinutes(10);

    /// <summary>How often an index update that did not go through is tried again.</summary>
    private static readonly TimeSpan IndexRetryPeriod = TimeSpan.FromSeconds(5);

    private IGrainTimer? _indexRetry;

    private DeviceState State => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_orgId, _deviceId) = GrainKeys.Split(this.GetPrimaryKeyString());
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
        ArgumentNullException.ThrowIfNull(registration);
        await ApplyRegistrationAsync(registration);
        await SaveAsync();
        return Detail();
    }

    private async Task ApplyRegistrationAsync(DeviceRegistration registration)
    {
        var hostname = InputRules.RequireHostname(registration.Hostname);
        var osVersion = InputRules.RequireText(registration.OsVersion, "osVersion", 64);
        var facts = registration.Facts is null ? null : ValidateFacts(registration.Facts);
        if (State.Registered && State.Os != registration.Os)
        {
            throw new FleetMfaException(ErrorCodes.Conflict, $"Device '{_deviceId}' is registered as {State.Os}; a device's OS cannot change.");
        }

        var policy = State.Policy ?? await GrainFactory.GetOrg(_orgId).GetPolicyAsync();
        if (!State.Registered)
        {
            State.Registered = true;
            State.Os = registration.Os;
            State.CreatedAt = time.GetUtcNow();
            State.Policy = policy;
            LogRegistered(logger, _orgId, _deviceId, registration.Os);
        }

        State.Hostname = hostname;
        State.OsVersion = osVersion;
        State.Facts = facts ?? State.Facts;
    }

    public Task<DeviceDetail?> GetAsync() => Task.FromResult(State.Registered ? Detail() : null);

    public async Task<DeviceDetail> UpdateSettingsAsync(DeviceSettingsPatch patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        EnsureRegistered();
        var current = State.Settings;
        var updated = new DeviceSettings(
            new LinuxSettings(
                patch.SshPasswordLogin ?? current.Linux.SshPasswordLogin,
                patch.SshPublicKeyAuth ?? current.Linux.SshPublicKeyAuth),
            new WindowsSettings(
                patch.DisableAutomaticRestartSignOn ?? current.Windows.DisableAutomaticRestartSignOn,
                patch.SafeModeBlockNonAdmins ?? current.Windows.SafeModeBlockNonAdmins));
        if (updated == current)
        {
            return Detail();
        }

        if (State.MfaDesired && State.Os == DeviceOs.Linux)
        {
            MfaRules.EnsureLinuxSettings(updated.Linux);
        }

        State.Settings = updated;
        BumpDesired(State.Required);

        await SaveAsync();
        return Detail();
    }

    public Task<DeviceDetail> EnableMfaAsync(bool force) => EnableMfaAsync(force, rollout: null);

    /// <param name="force">As <see cref="IDeviceGrain.EnableMfaAsync"/>.</param>
    /// <param name="rollout">The rollout that asks, if one does: remembered in the same write as the change.</param>
    private async Task<DeviceDetail> EnableMfaAsync(bool force, RolloutTicket? rollout)
    {
        EnsureRegistered();
        MfaRules.EnsureCanRequire(State.Os, State.OsVersion, State.Settings, State.Facts, force);
        if (State.MfaDesired)
        {
            return Detail();
        }

        var policy = await GrainFactory.GetOrg(_orgId).GetPolicyAsync();
        var requiredBefore = State.Required;
        State.MfaDesired = true;
        if (State.Policy is null || policy.Version > State.Policy.Version)
        {
            State.Policy = policy;
        }

        BumpDesired(requiredBefore);
        WatchInSameWrite(rollout);
        await SaveAsync();
        LogMfaSwitched(logger, _orgId, _deviceId, true, State.DesiredVersion);
        return Detail();
    }

    public Task<DeviceDetail> DisableMfaAsync() => DisableMfaAsync(rollout: null);

    /// <param name="rollout">The rollout that asks, if one does: remembered in the same write as the change.</param>
    private async Task<DeviceDetail> DisableMfaAsync(RolloutTicket? rollout)
    {
        EnsureRegistered();
        if (!State.MfaDesired)
        {
            return Detail();
        }

        var requiredBefore = State.Required;
        State.MfaDesired = false;
        BumpDesired(requiredBefore);
        WatchInSameWrite(rollout);
        await SaveAsync();
        LogMfaSwitched(logger, _orgId, _deviceId, false, State.DesiredVersion);
        return Detail();
    }

    public async Task<RolloutStep> ApplyRolloutAsync(RolloutTicket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        if (!State.Registered)
        {
            return NotFoundStep();
        }

        try
        {
            _ = ticket.Action == RolloutAction.EnableMfa ? await EnableMfaAsync(ticket.Force, ticket) : await DisableMfaAsync(ticket);
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

    /// <summary>The final step for <paramref name="version"/>, or pending after remembering whom to tell (unless another rollout is already waiting).</summary>
    private async Task<RolloutStep> WatchAsync(RolloutTicket ticket, long version)
    {
        if (SettledStep(version) is { } settled)
        {
            return settled;
        }

        if (TakeRolloutWatch(ticket, version))
        {
            await state.WriteOwnedStateAsync();
        }

        // Still waiting when asked (again): the agent's ack may have been lost with a silo, or the desired state itself,
        // when an activation died between storing and publishing it. The agent answers every desired state it receives.
        if (time.GetUtcNow() - _lastPublish.At >= RepublishInterval)
        {
            await PublishDesiredAsync();
        }

        return new RolloutStep(RolloutOutcome.Pending, version);
    }

    /// <summary>
    /// Remembers <paramref name="ticket"/>'s rollout as the one to tell when <paramref name="version"/> settles, unless
    /// another rollout already waits for a version at least as new. Returns whether the state changed (unwritten).
    /// </summary>
    private bool TakeRolloutWatch(RolloutTicket ticket, long version)
    {
        if (State.RolloutWatch is not null && State.RolloutWatch.RolloutId != ticket.RolloutId && State.RolloutWatch.Version >= version)
        {
            return false;
        }

        var watch = new RolloutWatch(ticket.RolloutId, ticket.Shard, version);
        if (watch == State.RolloutWatch)
        {
            return false;
        }

        State.RolloutWatch = watch;
        return true;
    }

    /// <summary>
    /// For a switch a rollout asked for: the watch <see cref="WatchAsync"/> would store right after, taken now so that
    /// it goes into the switch's write (a fan-out then stores each device twice, not three times: switch, ack).
    /// </summary>
    private void WatchInSameWrite(RolloutTicket? rollout)
    {
        if (rollout is not null && SettledStep(State.DesiredVersion) is null)
        {
            TakeRolloutWatch(rollout, State.DesiredVersion);
        }
    }

    /// <summary>Whether the agent has acknowledged <paramref name="version"/> (or cannot): <c>null</c> while that is still open.</summary>
    private RolloutStep? SettledStep(long version) =>
        State.AppliedVersion >= version ? new RolloutStep(RolloutOutcome.Succeeded, version)
        : !State.HasAgent ? new RolloutStep(RolloutOutcome.Failed, version, ErrorCodes.NoAgent, "The device has no enrolled agent; it gets the change when one enrolls.")

        // A failure reason always refers to the current desired version, which covers the awaited one.
        : State.FailureReason is { } reason ? new RolloutStep(RolloutOutcome.Failed, version, ErrorCodes.AgentError, reason)
        : null;

    private RolloutStep NotFoundStep() => new(RolloutOutcome.Failed, 0, ErrorCodes.NotFound, $"Device '{_deviceId}' does not exist in org '{_orgId}'.");

    public async Task ApplyOrgPolicyAsync(OrgPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (State.Registered && TakePolicy(policy))
        {
            await SaveAsync();
        }
    }

    public async Task<DeviceUserStatus> BindUserAsync(string userId, string localUsername)
    {
        EnsureRegistered();
        Slug.Require(userId, "userId");
        localUsername = InputRules.RequireLocalUsername(localUsername);
        if (State.Users.Values.Any(u => u.LocalUsername == localUsername) &&
            (!State.Users.TryGetValue(userId, out var same) || same.LocalUsername != localUsername))
        {
            throw new FleetMfaException(ErrorCodes.Conflict, $"Local account '{localUsername}' is already bound to another user on this device.");
        }

        var totp = await GrainFactory.GetUser(_orgId, userId).AddDeviceAsync(_deviceId);
        var changed = !State.Users.TryGetValue(userId, out var bound) || bound.LocalUsername != localUsername;
        bound ??= new BoundUser();
        bound.LocalUsername = localUsername;
        State.Users[userId] = bound;
        changed |= Remember(bound, totp);
        if (changed)
        {
            BumpDesired(State.Required);
            await SaveAsync();
        }

        return UserStatus(userId, bound);
    }

    public async Task UnbindUserAsync(string userId)
    {
        EnsureRegistered();
        if (!State.Users.Remove(userId))
        {
            throw FleetMfaException.NotFound($"User '{userId}' is not bound to device '{_deviceId}'.");
        }

        BumpDesired(State.Required);
        await SaveAsync();
        await GrainFactory.GetUser(_orgId, userId).RemoveDeviceAsync(_deviceId);
    }

    public async Task<IReadOnlyList<DeviceUserStatus>> GetUsersAsync()
    {
        EnsureRegistered();
        var bindings = State.Users.ToArray();
        var fresh = await Task.WhenAll(bindings.Select(b => GrainFactory.GetUser(_orgId, b.Key).GetTotpStateAsync()));
        var changed = false;
        for (var i = 0; i < bindings.Length; i++)
        {
            // A notification lost in a crash is caught up here: the user grain is the source of truth.
            if (fresh[i] is { } totp)
            {
                changed |= Remember(bindings[i].Value, totp);
            }
        }

        if (changed)
        {
            BumpDesired(State.Required);
            await SaveAsync();
        }

        return [.. bindings.Select(b => UserStatus(b.Key, b.Value)).OrderBy(u => u.UserId, StringComparer.Ordinal)];
    }

    public async Task OnUserTotpChangedAsync(string userId, UserTotpState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (State.Users.TryGetValue(userId, out var bound) && Remember(bound, state))
        {
            BumpDesired(State.Required);
            await SaveAsync();
        }
    }

    /// <summary>
    /// Takes a user's latest enrollment; returns whether it changes what the device must enforce — only an enrolled
    /// user is prompted, with one secret version, so a setup merely started or a rename is no desired-state change.
    /// </summary>
    private static bool Remember(BoundUser bound, UserTotpState totp)
    {
        static int? Prompted(TotpStatus status, int secretVersion) => status == TotpStatus.Enrolled ? secretVersion : null;
        var changed = Prompted(bound.TotpStatus, bound.SecretVersion) != Prompted(totp.Status, totp.SecretVersion);
        bound.Username = totp.Username;
        bound.TotpStatus = totp.Status;
        bound.SecretVersion = totp.SecretVersion;
        return changed;
    }

    /// <summary>Takes a newer org policy; returns whether anything changed.</summary>
    private bool TakePolicy(OrgPolicy policy)
    {
        if (State.Policy is { } known && policy.Version <= known.Version)
        {
            return false;
        }

        var requiredBefore = State.Required;
        var parametersChanged = State.Policy?.Totp != policy.Totp;
        State.Policy = policy;
        if (State.Required != requiredBefore || (State.MfaDesired && parametersChanged))
        {
            BumpDesired(requiredBefore);
        }

        return true;
    }

    private void BumpDesired(bool requiredBefore)
    {
        _desiredChanged = true;
        State.DesiredVersion++;
        State.FailureReason = null;
        if (State.Required != requiredBefore)
        {
            State.MfaChangeVersion = State.DesiredVersion;
        }
    }

    /// <summary>
    /// Persists, brings the org index in line (a newer org policy that raced us is applied on the way), then
    /// publishes the desired state if it moved on.
    /// </summary>
    private async Task SaveAsync()
    {
        await state.WriteOwnedStateAsync();
        try
        {
            await SyncIndexAsync();
        }
        finally
        {
            // The change is stored: the device gets it even when the index could not be told (a timer retries that).
            if (_desiredChanged)
            {
                _desiredChanged = false;
                await PublishDesiredAsync();
            }
        }
    }

    /// <summary>
    /// Brings the index row in line with the stored state. When the index shard cannot take it (its silo may just have
    /// died), a timer retries until it does, rather than leaving the row stale until the device's next change.
    /// </summary>
    private async Task SyncIndexAsync()
    {
        try
        {
            var shard = GrainFactory.GetDeviceIndexShardFor(_orgId, _deviceId);
            while (Row() is var row && NeedsIndexing(row, _indexedRow))
            {
                var newer = await shard.UpsertAsync(row, State.Policy?.Version ?? 0);
                _indexedRow = row;
                if (newer is not null && TakePolicy(newer))
                {
                    await state.WriteOwnedStateAsync();
                }
            }

            _indexRetry?.Dispose();
            _indexRetry = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogIndexSyncFailed(logger, _orgId, _deviceId, ex);
            _indexRetry ??= this.RegisterGrainTimer(_ => SyncIndexAsync(), IndexRetryPeriod, IndexRetryPeriod);
        }
    }

    /// <summary>
    /// Whether the index must hear of this row. "Last seen" alone moves with every report; it is refreshed at most
    /// every <see cref="LastSeenGranularity"/> so that heartbeats cost no index write.
    /// </summary>
    private static bool NeedsIndexing(DeviceRow row, DeviceRow? indexed) =>
        indexed is null ||
        row with { LastSeen = indexed.LastSeen } != indexed ||
        (row.LastSeen, indexed.LastSeen) switch
        {
            (null, null) => false,
            ({ } now, { } then) => now - then >= LastSeenGranularity,
            _ => true,
        };

    private void EnsureRegistered()
    {
        if (!State.Registered)
        {
            throw FleetMfaException.NotFound($"Device '{_deviceId}' does not exist in org '{_orgId}'.");
        }
    }

    private static DeviceFacts ValidateFacts(DeviceFacts facts)
    {
        if (facts.AuthPlugins is null || facts.AuthPlugins.Count > 32 || facts.AuthPlugins.Any(p => p is null || p.Length is 0 or > 200 || p.Any(char.IsControl)))
        {
            throw FleetMfaException.Validation("authPlugins must be at most 32 names of 1–200 printable characters.");
        }

        if (facts.DisplayHeightPixels is < 0 or > 100_000)
        {
            throw FleetMfaException.Validation("displayHeightPixels is out of range.");
        }

        return facts with { AuthPlugins = [.. facts.AuthPlugins] };
    }

    private DeviceUserStatus UserStatus(string userId, BoundUser bound)
    {
        var onDevice = !State.Required || bound.TotpStatus != TotpStatus.Enrolled ? OnDeviceStatus.NotRequired
            : _reportedUsers.TryGetValue(userId, out var held) && held == bound.SecretVersion ? OnDeviceStatus.Active
            : OnDeviceStatus.Pending;
        return new DeviceUserStatus(userId, bound.Username, bound.LocalUsername, bound.TotpStatus, onDevice);
    }

    private DeviceRow Row() =>
        new(_deviceId, State.Hostname, State.Os, State.MfaDesired, State.Status, _online, State.LastSeen, State.Reason);

    private DeviceDetail Detail() => new(
        _orgId,
        _deviceId,
        State.Hostname,
        State.Os,
        State.OsVersion,
        State.Facts,
        State.Settings,
        new MfaInfo(
            State.MfaDesired,
            State.Required,
            State.Status,
            State.DesiredVersion,
            State.AppliedVersion,
            State.Reason,
            MfaRules.Warnings(State.Os, State.OsVersion, State.Facts)),
        _online,
        State.LastSeen,
        State.CreatedAt);
}
