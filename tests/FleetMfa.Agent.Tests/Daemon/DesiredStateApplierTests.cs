using System.Security.Cryptography;
using FleetMfa.Agent.Daemon;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Agent.Verification;
using FleetMfa.Protocol.Documents;
using FleetMfa.Protocol.Sealing;
using Microsoft.Extensions.Time.Testing;

namespace FleetMfa.Agent.Tests.Daemon;

public sealed class DesiredStateApplierTests : IDisposable
{
    private static readonly DateTimeOffset _start = new(2026, 1, 5, 9, 0, 10, TimeSpan.Zero);
    private static readonly byte[] _aliceSecret = TestTotp.Secret("alice");
    private static readonly byte[] _bobSecret = TestTotp.Secret("bob");

    private readonly TestStore _store = new();
    private readonly FakeTimeProvider _clock = new(_start);
    private readonly ECDiffieHellman _identity;
    private readonly AgentConfig _config;

    public DesiredStateApplierTests()
    {
        _config = _store.Enroll();
        _identity = _store.Store.LoadOrCreateIdentity();
    }

    private DesiredStateApplier Applier() => new(_store.Store, _config, _identity, _clock);

    private DesiredUser SealedUser(string userId, string localUsername, int secretVersion, byte[] secret, ECDiffieHellman? to = null, string? aadUserId = null) =>
        new(userId, localUsername, secretVersion, SecretSealer.Seal(
            (to ?? _identity).ExportSubjectPublicKeyInfo(),
            secret,
            SecretSealer.AssociatedData(TestStore.OrgId, TestStore.DeviceId, aadUserId ?? userId, secretVersion)));

    private DesiredState Desired(long version, params DesiredUser[] users) => new(
        DesiredState.CurrentSchema,
        TestStore.OrgId,
        TestStore.DeviceId,
        version,
        true,
        TestTotp.Default,
        TestStore.Policy,
        users.Length == 0 ? [SealedUser("alice", "alice.l", 1, _aliceSecret), SealedUser("bob", "bob", 4, _bobSecret)] : users,
        _start);

    /// <summary>Applies version 5 and returns <c>state.bin</c> as it is then, to check that a refusal changes nothing.</summary>
    private byte[] ApplyBaseline()
    {
        Assert.True(Applier().Apply(Desired(5)).Changed);
        return File.ReadAllBytes(_store.PathOf("state.bin"));
    }

    private void AssertRefused(DesiredState desired, byte[] before)
    {
        var result = Applier().Apply(desired);

        Assert.False(result.Changed);
        Assert.Equal(desired.Version, result.FailedVersion);
        Assert.False(string.IsNullOrWhiteSpace(result.Reason));
        Assert.Equal(5, result.State!.Version);
        Assert.Equal(before, File.ReadAllBytes(_store.PathOf("state.bin")));
        Assert.Equal(5, _store.Store.Load()!.Version);
    }

    [Fact]
    public void A_first_desired_state_is_applied_with_its_secrets_unsealed()
    {
        _clock.Advance(TimeSpan.FromMinutes(1));

        var result = Applier().Apply(Desired(1));

        Assert.True(result.Changed);
        Assert.Equal(((long?)null, (string?)null), (result.FailedVersion, result.Reason));
        var stored = _store.Store.Load()!;
        Assert.Equal((1L, true, TestTotp.Default, TestStore.Policy, _clock.GetUtcNow()), (stored.Version, stored.Mfa, stored.Totp, stored.Policy, stored.AppliedAt));
        Assert.Equal(["alice.l", "bob"], stored.Users.Select(u => u.LocalUsername));
        Assert.Equal(_aliceSecret, stored.FindByLocalUsername("alice.l")!.Secret);
        Assert.Equal(4, stored.FindByLocalUsername("bob")!.SecretVersion);
        Assert.Equal(_bobSecret, stored.FindByLocalUsername("bob")!.Secret);
    }

    [Fact]
    public void Applied_users_verify_with_the_codes_their_phones_show()
    {
        Applier().Apply(Desired(1));
        var verifier = new CodeVerifier(_store.Store, _store.Store, VerificationSettings.Default, _clock);

        Assert.Equal(VerifyOutcome.Accepted, verifier.Verify("alice.l", TestTotp.CodeAt(_aliceSecret, _clock.GetUtcNow())));
        Assert.Equal(VerifyOutcome.Accepted, verifier.Verify("bob", TestTotp.CodeAt(_bobSecret, _clock.GetUtcNow())));
        Assert.Equal(VerifyOutcome.Rejected, verifier.Verify("bob", TestTotp.CodeAt(_aliceSecret, _clock.GetUtcNow(), 1)));
    }

    [Fact]
    public void A_newer_version_replaces_the_applied_one()
    {
        ApplyBaseline();

        var result = Applier().Apply(Desired(6, SealedUser("bob", "bob", 5, _aliceSecret)) with { Mfa = false });

        Assert.True(result.Changed);
        var stored = _store.Store.Load()!;
        Assert.Equal((6L, false), (stored.Version, stored.Mfa));
        var bob = Assert.Single(stored.Users);
        Assert.Equal(("bob", 5), (bob.UserId, bob.SecretVersion));
        Assert.Equal(_aliceSecret, bob.Secret);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(4)]
    [InlineData(0)]
    public void The_same_or_an_older_version_is_ignored(long version)
    {
        var before = ApplyBaseline();

        var result = Applier().Apply(Desired(version, SealedUser("mallory", "root", 1, _bobSecret)) with { Mfa = false });

        Assert.False(result.Changed);
        Assert.Equal(((long?)null, (string?)null), (result.FailedVersion, result.Reason));
        Assert.Equal(5, result.State!.Version);
        Assert.Equal(before, File.ReadAllBytes(_store.PathOf("state.bin")));
    }

    [Theory]
    [InlineData("acme", "dev-2")]
    [InlineData("other", "dev-1")]
    public void A_document_addressed_to_another_device_is_refused(string orgId, string deviceId)
    {
        var before = ApplyBaseline();

        AssertRefused(Desired(6) with { OrgId = orgId, DeviceId = deviceId }, before);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void An_unsupported_schema_is_refused(int schema)
    {
        var before = ApplyBaseline();

        AssertRefused(Desired(6) with { Schema = schema }, before);
    }

    [Theory]
    [InlineData(5, 30, "SHA1", 1)]
    [InlineData(9, 30, "SHA1", 1)]
    [InlineData(6, 0, "SHA1", 1)]
    [InlineData(6, 9, "SHA1", 1)]
    [InlineData(6, 301, "SHA1", 1)]
    [InlineData(6, 30, "MD5", 1)]
    [InlineData(6, 30, "sha1", 1)]
    [InlineData(6, 30, "SHA1", -1)]
    [InlineData(6, 30, "SHA1", 11)]
    public void Unsupported_totp_parameters_are_refused(int digits, int period, string algorithm, int drift)
    {
        var before = ApplyBaseline();

        AssertRefused(Desired(6) with { Totp = new TotpSettings(digits, period, algorithm, drift) }, before);
    }

    [Fact]
    public void Supported_non_default_totp_parameters_are_applied()
    {
        var totp = new TotpSettings(8, 60, "SHA512", 2);

        Assert.True(Applier().Apply(Desired(1) with { Totp = totp }).Changed);
        Assert.Equal(totp, _store.Store.Load()!.Totp);
    }

    [Fact]
    public void Duplicate_local_usernames_are_refused()
    {
        var before = ApplyBaseline();

        AssertRefused(Desired(6, SealedUser("alice", "shared", 1, _aliceSecret), SealedUser("bob", "shared", 1, _bobSecret)), before);
    }

    [Theory]
    [InlineData("Alice", "alice.l")]
    [InlineData("", "alice.l")]
    [InlineData("a+b", "alice.l")]
    [InlineData("alice", "")]
    public void An_invalid_user_entry_is_refused(string userId, string localUsername)
    {
        var before = ApplyBaseline();

        AssertRefused(Desired(6, SealedUser(userId, localUsername, 1, _aliceSecret)), before);
    }

    [Fact]
    public void A_secret_sealed_to_another_devices_key_is_refused()
    {
        var before = ApplyBaseline();
        using var otherDevice = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

        AssertRefused(Desired(6, SealedUser("alice", "alice.l", 2, _aliceSecret), SealedUser("bob", "bob", 5, _bobSecret, to: otherDevice)), before);
        Assert.Contains("bob", Applier().Apply(Desired(6, SealedUser("bob", "bob", 5, _bobSecret, to: otherDevice))).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_secret_sealed_for_another_user_is_refused()
    {
        var before = ApplyBaseline();

        AssertRefused(Desired(6, SealedUser("mallory", "mallory", 1, _aliceSecret, aadUserId: "alice")), before);
    }

    [Fact]
    public void A_secret_relabelled_with_another_version_is_refused()
    {
        var before = ApplyBaseline();
        var sealedForV1 = SealedUser("alice", "alice.l", 1, _aliceSecret);

        AssertRefused(Desired(6, sealedForV1 with { SecretVersion = 2 }), before);
    }

    [Fact]
    public void A_refused_version_does_not_block_a_later_good_one()
    {
        var before = ApplyBaseline();
        AssertRefused(Desired(6) with { Schema = 2 }, before);

        var result = Applier().Apply(Desired(7));

        Assert.True(result.Changed);
        Assert.Equal(7, _store.Store.Load()!.Version);
    }

    [Fact]
    public void A_desired_state_without_users_applies_and_drops_them()
    {
        ApplyBaseline();

        Assert.True(Applier().Apply(Desired(6) with { Users = [] }).Changed);
        Assert.Empty(_store.Store.Load()!.Users);
    }

    public void Dispose()
    {
        _identity.Dispose();
        _store.Dispose();
    }
}
