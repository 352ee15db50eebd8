using System.Security.Cryptography;
using System.Text;
using FleetMfa.Grains.Internal;
using FleetMfa.Grains.Rules;
using FleetMfa.Grains.Security;
using FleetMfa.Grains.Totp;
using FleetMfa.Protocol.Sealing;
using Microsoft.Extensions.Logging;

namespace FleetMfa.Grains.Users;

/// <summary>
/// A user and their TOTP enrollment. The secret is generated here, returned once, and otherwise exists only as
/// ciphertext: at rest under the control plane's key, and towards a bound device sealed to that device's key.
/// Data flows one way: devices call the user (bind with their key, unbind, acknowledge), the user never waits on a
/// device. Every change a device must hear of is stored with a new <see cref="UserState.Revision"/> and the devices to
/// tell (<see cref="UserState.Notify"/>, the outbox); once stored, each is sent the update in a one-way message, and
/// sent it again every <see cref="NotifyRetryPeriod"/> (and by the next activation) until it acknowledges that revision
/// (acknowledgements shrink the outbox in memory; the next write stores it). A reminder, registered before a write that
/// leaves devices to tell and removed once every device acknowledged, activates the user again after a silo crash, so an
/// update stored but not delivered (a reset: the old secret must stop working) is never left waiting for a caller.
/// A write that fails puts the state back as stored before the caller hears of it, so nothing unstored is served or sent
/// and a retry does the work.
/// </summary>
public sealed partial class UserGrain : Grain, IUserGrain, IRemindable
{
    /// <summary>The reminder that outlives the activation while devices are still to be told.</summary>
    internal const string NotifyReminder = "notify-devices";

    /// <summary>Its period (the reminder service's minimum): how long a crash can keep an update from a device.</summary>
    private static readonly TimeSpan NotifyReminderPeriod = TimeSpan.FromMinutes(1);

    private readonly IPersistentState<UserState> _state;
    private readonly ISecretProtector _protector;
    private readonly ILogger<UserGrain> _logger;
    private readonly TimeProvider _time;
    private string _orgId = "";
    private string _userId = "";
    private IGrainTimer? _notifyTimer;
    private bool _reminderArmed;

    /// <summary>How long a device that has not acknowledged an update waits before it is sent it again.</summary>
    internal static readonly TimeSpan NotifyRetryPeriod = TimeSpan.FromSeconds(5);

    public UserGrain(
        [PersistentState("user", StorageNames.Fleet)] IPersistentState<UserState> state,
        ISecretProtector protector,
        ILogger<UserGrain> logger,
        TimeProvider time)
    {
        _state = state;
        _protector = protector;
        _logger = logger;
        _time = time;
    }

    private UserState State => _state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_orgId, _userId) = GrainKeys.Split(this.GetPrimaryKeyString());
        if (State.Notify.Count > 0)
        {
            // Stored, not acknowledged yet: the previous activation stopped (or failed) before every device took it.
            TellLater(TimeSpan.Zero);
        }

        return Task.CompletedTask;
    }

    public async Task<UserInfo> CreateOrUpdateAsync(UserProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var username = InputRules.RequireText(profile.Username, "username", 64);
        var email = InputRules.OptionalEmail(profile.Email);
        if (!State.Created)
        {
            // Refuses users of an org that does not exist.
            await GrainFactory.GetOrg(_orgId).GetPolicyAsync();
            State.Created = true;
            State.CreatedAt = _time.GetUtcNow();
        }

        var renamed = State.Username.Length > 0 && State.Username != username;
        State.Username = username;
        State.Email = email;
        if (renamed)
        {
            NotifyAll();
        }

        await WriteAsync();
        TellDevices();

        return Info();
    }

    public Task<UserInfo?> GetAsync() => Task.FromResult(State.Created ? Info() : null);

    public async Task<TotpEnrollment> StartTotpEnrollmentAsync()
    {
        EnsureCreated();
        var org = await GrainFactory.GetOrg(_orgId).GetAsync() ?? throw FleetMfaException.NotFound($"Org '{_orgId}' does not exist.");
        var secret = TotpAuthenticator.NewSecret();
        try
        {
            State.SecretVersion++;
            State.ProtectedSecret = _protector.Protect(secret, AssociatedData(State.SecretVersion));
            State.TotpStatus = TotpStatus.PendingSetup;
            State.EnrolledAt = null;
            State.EnrollmentExpiresAt = _time.GetUtcNow() + org.EnrollmentPeriod;
            NotifyAll();

            await WriteAsync();
            LogEnrollmentStarted(_logger, _orgId, _userId, State.SecretVersion);
            TellDevices();

            var base32 = TotpAuthenticator.ToBase32(secret);
            var uri = TotpAuthenticator.OtpauthUri(_orgId, State.Username, base32, org.Totp);
            return new TotpEnrollment(base32, uri, TotpAuthenticator.QrSvg(uri), State.EnrollmentExpiresAt.Value);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    public async Task<UserInfo> ConfirmTotpAsync(string code)
    {
        EnsureCreated();
        ArgumentNullException.ThrowIfNull(code);
        if (State.TotpStatus != TotpStatus.PendingSetup || State.ProtectedSecret is null)
        {
            throw new FleetMfaException(ErrorCodes.EnrollmentNotStarted, $"User '{_userId}' has no TOTP setup waiting for confirmation.");
        }

        var now = _time.GetUtcNow();
        if (now >= State.EnrollmentExpiresAt)
        {
            throw new FleetMfaException(ErrorCodes.EnrollmentExpired, $"The TOTP setup of user '{_userId}' expired at {State.EnrollmentExpiresAt:O}; start it again.");
        }

        var policy = await GrainFactory.GetOrg(_orgId).GetPolicyAsync();
        var secret = _protector.Unprotect(State.ProtectedSecret, AssociatedData(State.SecretVersion));
        try
        {
            if (!TotpAuthenticator.Verify(secret, code, policy.Totp, now, out _))
            {
                LogConfirmRejected(_logger, _orgId, _userId);
                throw new FleetMfaException(ErrorCodes.InvalidCode, "The code is not valid for this setup at this time.");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }

        State.TotpStatus = TotpStatus.Enrolled;
        State.EnrolledAt = now;
        State.EnrollmentExpiresAt = null;
        NotifyAll();
        await WriteAsync();
        LogEnrolled(_logger, _orgId, _userId, State.SecretVersion);
        TellDevices();
        return Info();
    }

    public async Task<UserInfo> ResetTotpAsync()
    {
        EnsureCreated();
        if (State.TotpStatus == TotpStatus.NotEnrolled)
        {
            return Info();
        }

        State.TotpStatus = TotpStatus.NotEnrolled;
        State.ProtectedSecret = null;
        State.EnrolledAt = null;
        State.EnrollmentExpiresAt = null;
        NotifyAll();
        await WriteAsync();
        LogReset(_logger, _orgId, _userId);
        TellDevices();
        return Info();
    }

    public async Task<UserTotpUpdate> AddDeviceAsync(string deviceId, byte[]? devicePublicKey)
    {
        EnsureCreated();
        Slug.Require(deviceId, "deviceId");
        var known = !State.Devices.Add(deviceId);
        var keyChanged = !KeyEquals(State.DeviceKeys.GetValueOrDefault(deviceId), devicePublicKey);
        if (keyChanged)
        {
            if (devicePublicKey is null)
            {
                State.DeviceKeys.Remove(deviceId);
            }
            else
            {
                State.DeviceKeys[deviceId] = devicePublicKey;
            }
        }

        if (known && keyChanged)
        {
            // A device that got its agent after binding (the only way a key changes): the update it holds has no secret
            // for it, and the one sealed to its key must count as newer.
            State.Revision++;
            State.Notify.Add(deviceId);
        }

        if (!known || keyChanged)
        {
            await WriteAsync();
        }

        TellDevices();
        return UpdateFor(deviceId);
    }

    public async Task RemoveDeviceAsync(string deviceId)
    {
        if (State.Devices.Remove(deviceId) | State.Notify.Remove(deviceId) | State.DeviceKeys.Remove(deviceId))
        {
            await WriteAsync();
        }
    }

    public async Task OnDeviceTookAsync(string deviceId, long revision)
    {
        // An acknowledgement of an older revision leaves the device in the outbox: it is sent the newer one again. The
        // outbox shrinks in memory only and is stored with the next change: an acknowledgement costs no write, and what
        // storage still names is sent once more after a restart (a device takes nothing twice and acknowledges again).
        if (revision >= State.Revision && State.Notify.Remove(deviceId) && State.Notify.Count == 0)
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

    /// <summary>Every bound device is due to be told of the state about to be stored (into the outbox, written with it).</summary>
    private void NotifyAll()
    {
        State.Revision++;
        State.Notify.UnionWith(State.Devices);
    }

    /// <summary>
    /// Stores the state changed in place; a write that fails puts the state back as stored (or deactivates the grain)
    /// before the failure goes on, so nothing unstored is served or sent.
    /// </summary>
    private async Task WriteAsync()
    {
        if (State.Notify.Count > 0 && !_reminderArmed)
        {
            // Before the write: a crash between the two must not leave a stored outbox that nothing will send. A reminder
            // armed for a write that then fails finds nothing to tell and removes itself.
            await this.RegisterOrUpdateReminder(NotifyReminder, NotifyReminderPeriod, NotifyReminderPeriod);
            _reminderArmed = true;
        }

        await _state.WriteOrRestoreAsync(this);
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
            LogReminderNotRemoved(_logger, _orgId, _userId, ex);
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
                _ = GrainFactory.GetDevice(_orgId, device).OnUserTotpChangedAsync(_userId, UpdateFor(device));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogNotifyFailed(_logger, _orgId, _userId, device, NotifyRetryPeriod.TotalSeconds, ex);
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

    /// <summary>The stored enrollment as one device is to hold it: the secret only once setup is complete, and only sealed to that device's key.</summary>
    private UserTotpUpdate UpdateFor(string deviceId)
    {
        SealedUserSecret? sealedSecret = null;
        if (State.TotpStatus == TotpStatus.Enrolled && State.ProtectedSecret is not null && State.DeviceKeys.TryGetValue(deviceId, out var key))
        {
            var secret = _protector.Unprotect(State.ProtectedSecret, AssociatedData(State.SecretVersion));
            try
            {
                var aad = SecretSealer.AssociatedData(_orgId, deviceId, _userId, State.SecretVersion);
                var sealedBox = SecretSealer.Seal(key, secret, aad);
                sealedSecret = new SealedUserSecret(State.SecretVersion, sealedBox.EphemeralKey, sealedBox.Nonce, sealedBox.Ciphertext);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(secret);
            }
        }

        return new UserTotpUpdate(State.Revision, TotpState(), sealedSecret);
    }

    private static bool KeyEquals(byte[]? a, byte[]? b) =>
        a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    /// <summary>Binds a ciphertext to its org, user and secret version: a blob copied elsewhere does not decrypt.</summary>
    private byte[] AssociatedData(int secretVersion) =>
        Encoding.UTF8.GetBytes($"fleetmfa/user-secret/v1|{_orgId}|{_userId}|{secretVersion}");

    private void EnsureCreated()
    {
        if (!State.Created)
        {
            throw FleetMfaException.NotFound($"User '{_userId}' does not exist in org '{_orgId}'.");
        }
    }

    private UserTotpState TotpState() => new(State.Username, State.TotpStatus, State.SecretVersion);

    private UserInfo Info() => new(
        _orgId,
        _userId,
        State.Username,
        State.Email,
        State.TotpStatus,
        State.SecretVersion,
        State.EnrollmentExpiresAt,
        State.EnrolledAt,
        [.. State.Devices.Order(StringComparer.Ordinal)]);
}
