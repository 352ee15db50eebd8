using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FleetMfa.Grains;
using FleetMfa.Grains.Security;
using FleetMfa.Grains.Totp;
using FleetMfa.Grains.Users;
using FleetMfa.Protocol.Sealing;
using Microsoft.Extensions.Options;

namespace FleetMfa.Tests.Users;

/// <summary>
/// <see cref="UserTwin"/>'s decisions, without a cluster: each command's new state, outbox and answer, table by table;
/// codes come from oathtool. The invariants over any sequence of commands are in <see cref="UserTwinPropertyTests"/>.
/// </summary>
public sealed class UserTwinTests
{
    internal static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    internal static readonly TotpParameters Totp = TotpParameters.Default;
    internal static readonly TimeSpan Period = TimeSpan.FromMinutes(10);

    /// <summary>RFC 6238's SHA-1 secret: a known one, so oathtool can give its codes.</summary>
    internal static readonly byte[] Secret = Encoding.ASCII.GetBytes("12345678901234567890");

    internal static ISecretProtector Protector { get; } = new AesGcmSecretProtector(Options.Create(new SecretProtectionOptions { MasterKey = AesGcmSecretProtector.NewKey() }));

    private static readonly ECDiffieHellman DeviceKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

    private static readonly byte[] PublicKey = DeviceKey.ExportSubjectPublicKeyInfo();

    private static readonly byte[] OtherKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfo();

    private readonly UserTwin _twin = new("acme", "alice", Protector);

    internal static string Base32 => TotpAuthenticator.ToBase32(Secret);

    /// <summary>Alice, created, with <paramref name="devices"/> bound (web-01 with a key), at <paramref name="status"/> with secret version 1.</summary>
    internal static UserState User(TotpStatus status = TotpStatus.NotEnrolled, params string[] devices)
    {
        var twin = new UserTwin("acme", "alice", Protector);
        var state = new UserState();
        UserTwin.CreateOrUpdate(state, new UserProfile("Alice", "alice@example.com"), Now);
        foreach (var device in devices)
        {
            twin.AddDevice(state, device, device == "web-01" ? PublicKey : null);
        }

        if (status != TotpStatus.NotEnrolled)
        {
            twin.StartEnrollment(state, Secret, Period, Now);
        }

        if (status == TotpStatus.Enrolled)
        {
            twin.Confirm(state, Oathtool.Totp(Base32, Now), Totp, Now);
        }

        state.Notify.Clear();
        return state;
    }

    internal static string Json(UserState state) => JsonSerializer.Serialize(state);

    [Fact]
    public void A_new_user_is_created_at_the_time_given_and_no_device_is_told()
    {
        var state = new UserState();

        Assert.True(UserTwin.CreateOrUpdate(state, new UserProfile(" Alice ", "alice@example.com"), Now));

        Assert.Equal((true, Now, "Alice", "alice@example.com"), (state.Created, state.CreatedAt, state.Username, state.Email));
        Assert.Equal((0L, 0), (state.Revision, state.Notify.Count));
        var info = _twin.Info(state);
        Assert.Equal(("acme", "alice", "Alice", TotpStatus.NotEnrolled, 0), (info.OrgId, info.UserId, info.Username, info.TotpStatus, info.SecretVersion));
        Assert.Empty(info.Devices);
    }

    [Theory]
    // username, email → something to store, the devices are told (a new revision)
    [InlineData("Alice", "alice@example.com", false, false)]
    [InlineData("Alice", "alice@example.org", true, false)]
    [InlineData("Alice", null, true, false)]
    [InlineData("Alice Smith", "alice@example.com", true, true)]
    public void A_profile_update_is_stored_only_when_it_changes_something_and_a_new_name_is_told_to_every_device(string username, string? email, bool stored, bool told)
    {
        var state = User(TotpStatus.NotEnrolled, "web-01", "web-02");
        var before = Json(state);

        Assert.Equal(stored, UserTwin.CreateOrUpdate(state, new UserProfile(username, email), Now.AddDays(1)));

        Assert.Equal(stored, Json(state) != before);
        Assert.Equal(Now, state.CreatedAt);
        Assert.Equal(told ? 1 : 0, state.Revision);
        Assert.Equal(told ? ["web-01", "web-02"] : [], state.Notify.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("   ", null)]
    [InlineData("Alice\n", null)]
    [InlineData("Alice", "not an address")]
    [InlineData("Alice", "alice@nowhere")]
    public void A_bad_profile_is_refused_before_anything_changes(string username, string? email)
    {
        var state = User(TotpStatus.Enrolled, "web-01");
        var before = Json(state);

        var refusal = Assert.Throws<FleetMfaException>(() => UserTwin.CreateOrUpdate(state, new UserProfile(username, email), Now));

        Assert.Equal(ErrorCodes.Validation, refusal.Code);
        Assert.Equal(before, Json(state));
    }

    [Fact]
    public void A_username_over_64_characters_is_refused() =>
        Assert.Equal(ErrorCodes.Validation, Assert.Throws<FleetMfaException>(() => UserTwin.RequireProfile(new UserProfile(new string('a', 65), null))).Code);

    public static TheoryData<string> Commands => ["start", "confirm", "reset", "add-device"];

    [Theory]
    [MemberData(nameof(Commands))]
    public void A_user_never_created_is_not_found_and_nothing_changes(string command)
    {
        var state = new UserState();
        var before = Json(state);

        var refusal = Assert.Throws<FleetMfaException>(() => Run(state, command));

        Assert.Equal((ErrorCodes.NotFound, before), (refusal.Code, Json(state)));
        Assert.Equal("User 'alice' does not exist in org 'acme'.", refusal.Message);
    }

    [Fact]
    public void Starting_setup_stores_the_secret_protected_pending_until_the_period_ends_and_tells_every_device()
    {
        var state = User(TotpStatus.NotEnrolled, "web-01", "web-02");

        _twin.StartEnrollment(state, Secret, Period, Now);

        Assert.Equal((TotpStatus.PendingSetup, 1, Now + Period, (DateTimeOffset?)null), (state.TotpStatus, state.SecretVersion, state.EnrollmentExpiresAt, state.EnrolledAt));
        Assert.False(state.ProtectedSecret!.AsSpan().IndexOf(Secret) >= 0, "the secret is stored in plaintext");
        Assert.Equal(Secret, Protector.Unprotect(state.ProtectedSecret, Encoding.UTF8.GetBytes("fleetmfa/user-secret/v1|acme|alice|1")));
        Assert.Equal(1L, state.Revision);
        Assert.Equal(["web-01", "web-02"], state.Notify.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_setup_answer_is_the_secret_an_authenticator_app_takes()
    {
        var state = User();
        _twin.StartEnrollment(state, Secret, Period, Now);

        var enrollment = _twin.Enrollment(state, Secret, Totp);

        Assert.Equal((Base32, Now + Period), (enrollment.Secret, enrollment.ExpiresAt));
        Assert.StartsWith("otpauth://totp/", enrollment.OtpauthUri, StringComparison.Ordinal);
        Assert.Contains($"secret={Base32}", enrollment.OtpauthUri, StringComparison.Ordinal);
        Assert.Contains("<svg", enrollment.QrSvg, StringComparison.Ordinal);
        Assert.DoesNotContain(Base32, enrollment.ToString(), StringComparison.Ordinal);

        // The code oathtool computes from the answer confirms the setup.
        _twin.Confirm(state, Oathtool.Totp(enrollment.Secret, Now), Totp, Now);
        Assert.Equal(TotpStatus.Enrolled, state.TotpStatus);
    }

    [Theory]
    // oathtool's code this many 30 s steps from the confirmation time → accepted (drift ±1 step)
    [InlineData(0, true)]
    [InlineData(-1, true)]
    [InlineData(1, true)]
    [InlineData(-2, false)]
    [InlineData(2, false)]
    [InlineData(-20, false)]
    public void Confirming_takes_a_code_within_one_step_of_now_and_refuses_any_other_without_changing_anything(int steps, bool accepted)
    {
        var state = User(TotpStatus.PendingSetup, "web-01");
        var at = Now.AddMinutes(5);
        var code = Oathtool.Totp(Base32, at.AddSeconds(30 * steps));
        var before = Json(state);

        if (!accepted)
        {
            Assert.Equal(ErrorCodes.InvalidCode, Assert.Throws<FleetMfaException>(() => _twin.Confirm(state, code, Totp, at)).Code);
            Assert.Equal(before, Json(state));
            return;
        }

        _twin.Confirm(state, code, Totp, at);
        Assert.Equal((TotpStatus.Enrolled, at, (DateTimeOffset?)null, 1), (state.TotpStatus, state.EnrolledAt, state.EnrollmentExpiresAt, state.SecretVersion));
        Assert.Equal(2L, state.Revision);
        Assert.Equal(["web-01"], state.Notify);
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("abcdef")]
    [InlineData("")]
    public void A_code_that_is_not_six_digits_is_invalid(string code)
    {
        var state = User(TotpStatus.PendingSetup);
        Assert.Equal(ErrorCodes.InvalidCode, Assert.Throws<FleetMfaException>(() => _twin.Confirm(state, code, Totp, Now)).Code);
    }

    [Fact]
    public void Confirming_uses_the_org_s_TOTP_parameters()
    {
        var state = User(TotpStatus.PendingSetup);
        var eightDigits = Totp with { Digits = 8, Algorithm = "SHA256", PeriodSeconds = 60 };

        Assert.Throws<FleetMfaException>(() => _twin.Confirm(state, Oathtool.Totp(Base32, Now), eightDigits, Now));
        _twin.Confirm(state, Oathtool.Totp(Base32, Now, "SHA256", 8, 60), eightDigits, Now);

        Assert.Equal(TotpStatus.Enrolled, state.TotpStatus);
    }

    [Theory]
    // seconds after the setup's end → refused as expired
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(3600, true)]
    public void Confirming_when_the_enrollment_period_is_over_is_refused_as_expired(int secondsAfterEnd, bool expired)
    {
        var state = User(TotpStatus.PendingSetup);
        var at = Now + Period + TimeSpan.FromSeconds(secondsAfterEnd);
        var code = Oathtool.Totp(Base32, at);

        if (expired)
        {
            Assert.Equal(ErrorCodes.EnrollmentExpired, Assert.Throws<FleetMfaException>(() => _twin.Confirm(state, code, Totp, at)).Code);
            Assert.Equal(TotpStatus.PendingSetup, state.TotpStatus);
        }
        else
        {
            _twin.Confirm(state, code, Totp, at);
            Assert.Equal(TotpStatus.Enrolled, state.TotpStatus);
        }
    }

    [Theory]
    [InlineData(TotpStatus.NotEnrolled)]
    [InlineData(TotpStatus.Enrolled)]
    public void Confirming_without_a_setup_waiting_is_refused(TotpStatus status)
    {
        var state = User(status);
        var before = Json(state);

        var refusal = Assert.Throws<FleetMfaException>(() => _twin.Confirm(state, Oathtool.Totp(Base32, Now), Totp, Now));

        Assert.Equal((ErrorCodes.EnrollmentNotStarted, before), (refusal.Code, Json(state)));
    }

    [Theory]
    [InlineData(TotpStatus.PendingSetup)]
    [InlineData(TotpStatus.Enrolled)]
    public void Starting_again_replaces_the_secret_and_the_old_one_confirms_nothing(TotpStatus status)
    {
        var state = User(status, "web-01");
        var other = RandomNumberGenerator.GetBytes(20);

        _twin.StartEnrollment(state, other, Period, Now.AddMinutes(1));

        Assert.Equal((TotpStatus.PendingSetup, 2, (DateTimeOffset?)null), (state.TotpStatus, state.SecretVersion, state.EnrolledAt));
        Assert.Equal(ErrorCodes.InvalidCode, Assert.Throws<FleetMfaException>(() => _twin.Confirm(state, Oathtool.Totp(Base32, Now.AddMinutes(1)), Totp, Now.AddMinutes(1))).Code);
        _twin.Confirm(state, Oathtool.Totp(TotpAuthenticator.ToBase32(other), Now.AddMinutes(1)), Totp, Now.AddMinutes(1));
        Assert.Equal(2, state.SecretVersion);
    }

    [Theory]
    // status before → something to store
    [InlineData(TotpStatus.NotEnrolled, false)]
    [InlineData(TotpStatus.PendingSetup, true)]
    [InlineData(TotpStatus.Enrolled, true)]
    public void A_reset_drops_the_secret_and_tells_every_device(TotpStatus status, bool stored)
    {
        var state = User(status, "web-01", "web-02");
        var (revision, before) = (state.Revision, Json(state));

        Assert.Equal(stored, _twin.Reset(state));

        if (!stored)
        {
            Assert.Equal(before, Json(state));
            return;
        }

        Assert.Equal((TotpStatus.NotEnrolled, (byte[]?)null, (DateTimeOffset?)null, (DateTimeOffset?)null), (state.TotpStatus, state.ProtectedSecret, state.EnrolledAt, state.EnrollmentExpiresAt));
        Assert.Equal((revision + 1, 1), (state.Revision, state.SecretVersion));
        Assert.Equal(["web-01", "web-02"], state.Notify.Order(StringComparer.Ordinal));
    }

    [Theory]
    // bound before, key held (0 none, 1 the device's, 2 another), key given (same) → stored, a new revision for the device
    [InlineData(false, 0, 0, true, false)]
    [InlineData(false, 0, 1, true, false)]
    [InlineData(true, 0, 0, false, false)]
    [InlineData(true, 1, 1, false, false)]
    [InlineData(true, 0, 1, true, true)]
    [InlineData(true, 1, 0, true, true)]
    [InlineData(true, 2, 1, true, true)]
    public void Adding_a_device_records_its_key_and_a_key_learned_later_is_a_newer_update_for_it(bool bound, int held, int given, bool stored, bool told)
    {
        byte[]?[] keys = [null, PublicKey, OtherKey];
        var state = User(TotpStatus.Enrolled);
        if (bound)
        {
            _twin.AddDevice(state, "db-01", keys[held]);
        }

        var (revision, before) = (state.Revision, Json(state));

        Assert.Equal(stored, _twin.AddDevice(state, "db-01", keys[given]));

        Assert.Equal(stored, Json(state) != before);
        Assert.Contains("db-01", state.Devices);
        Assert.Equal(keys[given], state.DeviceKeys.GetValueOrDefault("db-01"));
        Assert.Equal((revision + (told ? 1 : 0), told), (state.Revision, state.Notify.Contains("db-01")));
        Assert.Equal(given == 1, _twin.UpdateFor(state, "db-01").Secret is not null);
    }

    [Theory]
    [InlineData("Web-01")]
    [InlineData("")]
    [InlineData("a/b")]
    public void A_device_id_that_is_not_a_slug_is_refused(string deviceId)
    {
        var state = User();
        Assert.Equal(ErrorCodes.Validation, Assert.Throws<FleetMfaException>(() => _twin.AddDevice(state, deviceId, null)).Code);
        Assert.Empty(state.Devices);
    }

    [Fact]
    public void Removing_a_device_forgets_its_key_and_its_place_in_the_outbox()
    {
        var state = User(TotpStatus.NotEnrolled, "web-01", "web-02");
        _twin.StartEnrollment(state, Secret, Period, Now);

        Assert.True(UserTwin.RemoveDevice(state, "web-01"));

        Assert.Equal(["web-02"], state.Devices);
        Assert.Equal(["web-02"], state.Notify);
        Assert.Empty(state.DeviceKeys);
        var before = Json(state);
        Assert.False(UserTwin.RemoveDevice(state, "web-01"));
        Assert.Equal(before, Json(state));
    }

    [Theory]
    // the revision acknowledged (relative to the current), the device in the outbox → it leaves it, the outbox is empty now
    [InlineData(0, "web-01", true, false)]
    [InlineData(1, "web-01", true, false)]
    [InlineData(-1, "web-01", false, false)]
    [InlineData(0, "db-09", false, false)]
    public void An_acknowledgement_of_the_current_revision_takes_the_device_out_of_the_outbox(long relative, string deviceId, bool leaves, bool emptied)
    {
        var state = User(TotpStatus.NotEnrolled, "web-01", "web-02");
        _twin.StartEnrollment(state, Secret, Period, Now);

        Assert.Equal(emptied, UserTwin.TakeAck(state, deviceId, state.Revision + relative));

        Assert.Equal(!leaves, state.Notify.Contains("web-01"));
        Assert.True(UserTwin.TakeAck(state, "web-02", state.Revision) == !state.Notify.Contains("web-01"), "the last acknowledgement empties the outbox");
    }

    [Theory]
    // status, the device has a key → a sealed secret in its update
    [InlineData(TotpStatus.NotEnrolled, true, false)]
    [InlineData(TotpStatus.PendingSetup, true, false)]
    [InlineData(TotpStatus.Enrolled, false, false)]
    [InlineData(TotpStatus.Enrolled, true, true)]
    public void A_device_s_update_carries_the_secret_only_once_enrolled_and_only_sealed_to_its_key(TotpStatus status, bool withKey, bool sealedSecret)
    {
        var state = User(status, withKey ? "web-01" : "web-02");

        var update = _twin.UpdateFor(state, withKey ? "web-01" : "web-02");

        Assert.Equal((state.Revision, new UserTotpState("Alice", status, state.SecretVersion)), (update.Revision, update.State));
        Assert.Equal(sealedSecret, update.Secret is not null);
        if (update.Secret is { } s)
        {
            // Only the device's private key opens it, for this org, device, user and secret version; oathtool agrees on its codes.
            var aad = SecretSealer.AssociatedData("acme", "web-01", "alice", 1);
            var opened = SecretSealer.Unseal(DeviceKey, new SealedSecret(s.EphemeralKey, s.Nonce, s.Ciphertext), aad);
            Assert.Equal(Oathtool.Totp(Base32, Now), Oathtool.Totp(TotpAuthenticator.ToBase32(opened), Now));
            Assert.ThrowsAny<CryptographicException>(() => SecretSealer.Unseal(DeviceKey, new SealedSecret(s.EphemeralKey, s.Nonce, s.Ciphertext), SecretSealer.AssociatedData("acme", "web-02", "alice", 1)));
        }
    }

    [Fact]
    public void A_stored_secret_copied_to_another_user_does_not_decrypt()
    {
        var state = User(TotpStatus.Enrolled, "web-01");
        var bob = new UserTwin("acme", "bob", Protector);

        Assert.ThrowsAny<CryptographicException>(() => bob.UpdateFor(state, "web-01"));
    }

    [Fact]
    public void The_user_s_view_lists_its_devices_in_order()
    {
        var state = User(TotpStatus.PendingSetup, "web-02", "db-01", "web-01");

        var info = _twin.Info(state);

        Assert.Equal(["db-01", "web-01", "web-02"], info.Devices);
        Assert.Equal((TotpStatus.PendingSetup, 1, Now + Period), (info.TotpStatus, info.SecretVersion, info.EnrollmentExpiresAt));
    }

    private void Run(UserState state, string command)
    {
        switch (command)
        {
            case "start":
                _twin.StartEnrollment(state, Secret, Period, Now);
                break;
            case "confirm":
                _twin.Confirm(state, "123456", Totp, Now);
                break;
            case "reset":
                _twin.Reset(state);
                break;
            default:
                _twin.AddDevice(state, "web-01", null);
                break;
        }
    }
}
