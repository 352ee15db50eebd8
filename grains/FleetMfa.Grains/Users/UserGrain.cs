using System.Security.Cryptography;
using FleetMfa.Grains.Internal;
using FleetMfa.Grains.Security;
using FleetMfa.Grains.Totp;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;

namespace FleetMfa.Grains.Users;

/// <summary>
/// A user and their TOTP enrollment: a thin shell around <see cref="UserTwin"/>, whose decisions it stores (on a copy of
/// the state, <see cref="StateUpdates"/>) and then carries out. The secret is generated here, returned once, and
/// otherwise exists only as ciphertext: at rest under the control plane's key, and towards a bound device sealed to that
/// device's key. Data flows one way: devices call the user (bind with their key, unbind, acknowledge), the user never
/// waits on a device. Every change a device must hear of is stored with a new <see cref="UserState.Revision"/> and the
/// devices to tell (<see cref="UserState.Notify"/>, the outbox); once stored, each is sent the update in a one-way
/// message, and sent it again every <see cref="NotifyRetryPeriod"/> (and by the next activation) until it acknowledges
/// that revision (acknowledgements shrink the outbox in memory; the next write stores it). A reminder, registered before
/// a write that leaves devices to tell and removed once every device acknowledged, activates the user again after a silo
/// crash, so an update stored but not delivered (a reset: the old secret must stop working) is never left waiting for a
/// caller. A write that fails leaves the state as stored before the caller hears of it, so nothing unstored is served or
/// sent and a retry does the work; a write that meets another one (a stale ETag) reads it and decides again.
/// </summary>
public sealed partial class UserGrain(
    [PersistentState("user", StorageNames.Fleet)] IPersistentState<UserState> state,
    DeepCopier<UserState> copier,
    ISecretProtector protector,
    ILogger<UserGrain> logger,
    TimeProvider time) : Grain, IUserGrain, IRemindable
{
    /// <summary>The reminder that outlives the activation while devices are still to be told.</summary>
    internal const string NotifyReminder = "notify-devices";

    /// <summary>How long a device that has not acknowledged an update waits before it is sent it again.</summary>
    internal static readonly TimeSpan NotifyRetryPeriod = TimeSpan.FromSeconds(5);

    /// <summary>Its period (the reminder service's minimum): how long a crash can keep an update from a device.</summary>
    private static readonly TimeSpan NotifyReminderPeriod = TimeSpan.FromMinutes(1);

    private string _orgId = "";
    private string _userId = "";
    private UserTwin _twin = null!;
    private IGrainTimer? _notifyTimer;
    private bool _reminderArmed;

    private UserState State => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_orgId, _userId) = GrainKeys.Split(this.GetPrimaryKeyString());
        _twin = new UserTwin(_orgId, _userId, protector);
        if (State.Notify.Count > 0)
        {
            // Stored, not acknowledged yet: the previous activation stopped (or failed) before every device took it.
            TellLater(TimeSpan.Zero);
        }

        return Task.CompletedTask;
    }

    public async Task<UserInfo> CreateOrUpdateAsync(UserProfile profile)
    {
        profile = UserTwin.RequireProfile(profile);
        if (!State.Created)
        {
            // Refuses users of an org that does not exist.
            await GrainFactory.GetOrg(_orgId).GetPolicyAsync();
        }

        await DecideAsync(s => UserTwin.CreateOrUpdate(s, profile, time.GetUtcNow()));
        return _twin.Info(State);
    }

    public Task<UserInfo?> GetAsync() => Task.FromResult(State.Created ? _twin.Info(State) : null);

    public async Task<TotpEnrollment> StartTotpEnrollmentAsync()
    {
        _twin.EnsureCreated(State);
        var org = await GrainFactory.GetOrg(_orgId).GetAsync() ?? throw FleetMfaException.NotFound($"Org '{_orgId}' does not exist.");
        var secret = TotpAuthenticator.NewSecret();
        try
        {
            await DecideAsync(s =>
            {
                _twin.StartEnrollment(s, secret, org.EnrollmentPeriod, time.GetUtcNow());
                return true;
            });
            LogEnrollmentStarted(logger, _orgId, _userId, State.SecretVersion);
            return _twin.Enrollment(State, secret, org.Totp);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    public async Task<UserInfo> ConfirmTotpAsync(string code)
    {
        _twin.EnsureCreated(State);
        var policy = await GrainFactory.GetOrg(_orgId).GetPolicyAsync();
        try
        {
            await DecideAsync(s =>
            {
                _twin.Confirm(s, code, policy.Totp, time.GetUtcNow());
                return true;
            });
        }
        catch (FleetMfaException ex) when (ex.Code == ErrorCodes.InvalidCode)
        {
            LogConfirmRejected(logger, _orgId, _userId);
            throw;
        }

        LogEnrolled(logger, _orgId, _userId, State.SecretVersion);
        return _twin.Info(State);
    }

    public async Task<UserInfo> ResetTotpAsync()
    {
        _twin.EnsureCreated(State);
        if (await DecideAsync(_twin.Reset))
        {
            LogReset(logger, _orgId, _userId);
        }

        return _twin.Info(State);
    }

    public async Task<UserTotpUpdate> AddDeviceAsync(string deviceId, byte[]? devicePublicKey)
    {
        if (!await DecideAsync(s => _twin.AddDevice(s, deviceId, devicePublicKey)))
        {
            // A device binding again is a moment to send what the outbox still holds.
            TellDevices();
        }

        return _twin.UpdateFor(State, deviceId);
    }

    public Task RemoveDeviceAsync(string deviceId) => DecideAsync(s => UserTwin.RemoveDevice(s, deviceId));

    public async Task OnDeviceTookAsync(string deviceId, long revision)
    {
        // The outbox shrinks in memory only and is stored with the next change: an acknowledgement costs no write, and
        // what storage still names is sent once more after a restart (a device takes nothing twice and acknowledges again).
        if (UserTwin.TakeAck(State, deviceId, revision))
        {
            _notifyTimer?.Dispose();
            _notifyTimer = null;
            await DisarmNotifyReminderAsync();
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != NotifyReminder)
        {
            return;
        }

        if (State.Notify.Count == 0)
        {
            // Every device took the update (or the write that armed it failed): nothing is left to tell.
            await DisarmNotifyReminderAsync();
            return;
        }

        TellDevices();
    }

    /// <summary>
    /// Makes a decision on a copy of the state and stores it; the reminder is armed before a write that leaves devices to
    /// tell (a crash between the two must not leave a stored outbox that nothing will send; one armed for a write that then
    /// fails finds nothing to tell and removes itself). Then tells the devices in the outbox. True when something was stored.
    /// </summary>
    private async Task<bool> DecideAsync(Func<UserState, bool> decide)
    {
        var etag = state.Etag;
        var stored = await state.UpdateAsync(copier, s => decide(s) ? s : null, ArmNotifyReminderAsync);
        if (stored is null && state.Etag == etag)
        {
            return false;
        }

        // Stored; or read back after a conflict, with an outbox this activation may not have sent.
        TellDevices();
        return stored is not null;
    }

    private async Task ArmNotifyReminderAsync(UserState next)
    {
        if (next.Notify.Count > 0 && !_reminderArmed)
        {
            await this.RegisterOrUpdateReminder(NotifyReminder, NotifyReminderPeriod, NotifyReminderPeriod);
            _reminderArmed = true;
        }
    }

    private async Task DisarmNotifyReminderAsync()
    {
        try
        {
            if (await this.GetReminder(NotifyReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            _reminderArmed = false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Harmless: the reminder finds the outbox empty when it fires and tries again.
            LogReminderNotRemoved(logger, _orgId, _userId, ex);
        }
    }

    /// <summary>
    /// Sends every device in the stored outbox the current update, sealed to its key, in one-way messages (nothing here
    /// waits on a device); keeps sending it every retry period until each has acknowledged it.
    /// </summary>
    private void TellDevices()
    {
        if (State.Notify.Count == 0)
        {
            _notifyTimer?.Dispose();
            _notifyTimer = null;
            return;
        }

        foreach (var device in State.Notify.Order(StringComparer.Ordinal).ToList())
        {
            try
            {
                _ = GrainFactory.GetDevice(_orgId, device).OnUserTotpChangedAsync(_userId, _twin.UpdateFor(State, device));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogNotifyFailed(logger, _orgId, _userId, device, NotifyRetryPeriod.TotalSeconds, ex);
            }
        }

        if (_notifyTimer is null)
        {
            TellLater(NotifyRetryPeriod);
        }
    }

    /// <summary>
    /// A timer turn of its own that sends the outbox again, every retry period until it is empty. It keeps the grain
    /// active meanwhile: an idle user with devices still to tell (a reset not taken yet) is not collected and forgotten
    /// until something activates it again.
    /// </summary>
    private void TellLater(TimeSpan dueTime)
    {
        _notifyTimer?.Dispose();
        _notifyTimer = this.RegisterGrainTimer(
            _ =>
            {
                TellDevices();
                return Task.CompletedTask;
            },
            new GrainTimerCreationOptions(dueTime, NotifyRetryPeriod) { KeepAlive = true });
    }
}
