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
/// ciphertext; bound devices are told of every enrollment change so their desired state moves on. Devices add and
/// remove themselves in calls that interleave (a device binding a user and the user notifying that device must not
/// wait on each other), so writes are group-committed; a write that fails puts the state back as stored before any
/// of the callers it carried hears of the failure, so nothing unstored is served or notified and a retry does the work.
/// The devices to tell are stored with the change (<see cref="UserState.Notify"/>, the outbox) and told after it is
/// stored; one that cannot be told now is told again by a timer, and by the next activation.
/// </summary>
public sealed partial class UserGrain : Grain, IUserGrain
{
    private readonly IPersistentState<UserState> _state;
    private readonly GroupCommit _writer;
    private readonly ISecretProtector _protector;
    private readonly ILogger<UserGrain> _logger;
    private readonly TimeProvider _time;
    private string _orgId = "";
    private string _userId = "";
    private IGrainTimer? _notifyTimer;

    /// <summary>How long a device that could not be told waits before it is told again.</summary>
    internal static readonly TimeSpan NotifyRetryPeriod = TimeSpan.FromSeconds(5);

    public UserGrain(
        [PersistentState("user", StorageNames.Fleet)] IPersistentState<UserState> state,
        ISecretProtector protector,
        ILogger<UserGrain> logger,
        TimeProvider time)
    {
        _state = state;
        _writer = new GroupCommit(() => state.WriteOrRestoreAsync(this));
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
            // Stored, not carried out yet: the previous activation stopped (or failed) before every device took it.
            NotifyLater(TimeSpan.Zero);
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

        await _writer.WriteAsync();
        await NotifyDevicesAsync();

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
            var wasEnrolled = State.TotpStatus == TotpStatus.Enrolled;
            State.SecretVersion++;
            State.ProtectedSecret = _protector.Protect(secret, AssociatedData(State.SecretVersion));
            State.TotpStatus = TotpStatus.PendingSetup;
            State.EnrolledAt = null;
            State.EnrollmentExpiresAt = _time.GetUtcNow() + org.EnrollmentPeriod;
            if (wasEnrolled)
            {
                NotifyAll();
            }

            await _writer.WriteAsync();
            LogEnrollmentStarted(_logger, _orgId, _userId, State.SecretVersion);
            await NotifyDevicesAsync();

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
        await _writer.WriteAsync();
        LogEnrolled(_logger, _orgId, _userId, State.SecretVersion);
        await NotifyDevicesAsync();
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
        await _writer.WriteAsync();
        LogReset(_logger, _orgId, _userId);
        await NotifyDevicesAsync();
        return Info();
    }

    public async Task<UserTotpState> AddDeviceAsync(string deviceId)
    {
        EnsureCreated();
        if (State.Devices.Add(deviceId))
        {
            await _writer.WriteAsync();
        }

        return TotpState();
    }

    public async Task RemoveDeviceAsync(string deviceId)
    {
        if (State.Devices.Remove(deviceId) | State.Notify.Remove(deviceId))
        {
            await _writer.WriteAsync();
        }
    }

    public Task<UserTotpState?> GetTotpStateAsync() => Task.FromResult(State.Created ? TotpState() : null);

    public Task<SealedUserSecret?> SealSecretForAsync(string deviceId, byte[] devicePublicKey)
    {
        if (State.TotpStatus != TotpStatus.Enrolled || State.ProtectedSecret is null)
        {
            return Task.FromResult<SealedUserSecret?>(null);
        }

        var secret = _protector.Unprotect(State.ProtectedSecret, AssociatedData(State.SecretVersion));
        try
        {
            var aad = SecretSealer.AssociatedData(_orgId, deviceId, _userId, State.SecretVersion);
            var sealedSecret = SecretSealer.Seal(devicePublicKey, secret, aad);
            return Task.FromResult<SealedUserSecret?>(new SealedUserSecret(State.SecretVersion, sealedSecret.EphemeralKey, sealedSecret.Nonce, sealedSecret.Ciphertext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Every bound device is due to be told of the state about to be stored (into the outbox, written with it).</summary>
    private void NotifyAll() => State.Notify.UnionWith(State.Devices);

    /// <summary>
    /// Tells every device in the stored outbox the current TOTP state, then stores the outbox without those that took it.
    /// A device that failed stays in it for the retry timer; the caller's change is stored either way, so it succeeds.
    /// </summary>
    private async Task NotifyDevicesAsync()
    {
        if (State.Notify.Count == 0)
        {
            return;
        }

        var state = TotpState();
        var due = State.Notify.ToArray();
        var told = await Task.WhenAll(due.Select(async device =>
        {
            try
            {
                await GrainFactory.GetDevice(_orgId, device).OnUserTotpChangedAsync(_userId, state);
                return device;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogNotifyFailed(_logger, _orgId, _userId, device, NotifyRetryPeriod.TotalSeconds, ex);
                return null;
            }
        }));

        // Only what was told of the state it was told: a change stored meanwhile put its devices back into the outbox.
        var removed = false;
        if (TotpState() == state)
        {
            foreach (var device in told.OfType<string>())
            {
                removed |= State.Notify.Remove(device);
            }
        }
        if (State.Notify.Count == 0)
        {
            _notifyTimer?.Dispose();
            _notifyTimer = null;
        }
        else if (_notifyTimer is null)
        {
            NotifyLater(NotifyRetryPeriod);
        }

        if (!removed)
        {
            // Nobody took it: the stored outbox is already what it should be.
            return;
        }

        try
        {
            await _writer.WriteAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The outbox as stored still names them: telling a device twice of one state changes nothing.
            LogNotifyFailed(_logger, _orgId, _userId, "(outbox)", NotifyRetryPeriod.TotalSeconds, ex);
            NotifyLater(NotifyRetryPeriod);
        }
    }

    /// <summary>A timer turn of its own that tells the devices still in the outbox, every retry period until it is empty.</summary>
    private void NotifyLater(TimeSpan dueTime)
    {
        _notifyTimer?.Dispose();
        _notifyTimer = this.RegisterGrainTimer(_ => NotifyDevicesAsync(), dueTime, NotifyRetryPeriod);
    }

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
