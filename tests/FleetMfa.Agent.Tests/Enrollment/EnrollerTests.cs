using FleetMfa.Agent.Cli;
using FleetMfa.Agent.Enrollment;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Agent.Tests.Platform;
using Microsoft.Extensions.Time.Testing;

namespace FleetMfa.Agent.Tests.Enrollment;

/// <summary>Enrollment leaves a store that always has an applied state, so that a missing one is a store error.</summary>
public sealed class EnrollerTests : IDisposable
{
    private static readonly Uri _server = new("http://127.0.0.1:5080/");
    private static readonly DateTimeOffset _now = new(2026, 1, 5, 8, 30, 0, TimeSpan.Zero);

    private readonly TempDirectory _root = new();
    private readonly StubEnrollHandler _handler = new();

    private AgentStore Store { get; }

    public EnrollerTests() => Store = new AgentStore(_root.Combine("store"));

    private async Task<AgentConfig> EnrollAsync()
    {
        return await new Enroller(Store, new RecordingPlatform(), new FakeTimeProvider(_now), _handler).EnrollAsync(_server, "connect-key", insecure: true, CancellationToken.None);
    }

    [Fact]
    public async Task Enrollment_writes_the_initial_state_version_0_with_mfa_off_and_no_users()
    {
        var config = await EnrollAsync();

        Assert.Equal(("acme", "dev-9"), (config.OrgId, config.DeviceId));
        var state = Store.Load();
        Assert.NotNull(state);
        Assert.Equal((0L, false, 0, _now), (state.Version, state.Mfa, state.Users.Count, state.AppliedAt));
        Assert.Equal(AppliedState.DefaultTotp, state.Totp);
        Assert.Equal(AppliedState.DefaultPolicy, state.Policy);
    }

    [Fact]
    public async Task Enrolling_again_keeps_the_applied_state()
    {
        await EnrollAsync();
        var applied = new AppliedState(7, true, AppliedState.DefaultTotp, AppliedState.DefaultPolicy, [new LocalUser("alice", "alice", 1, TestTotp.Secret("enroll alice"))], _now);
        Store.Save(applied);

        await EnrollAsync();

        Assert.Equal(2, _handler.Requests);
        Assert.Equal((7L, true), (Store.Load()!.Version, Store.Load()!.Mfa));
    }

    [Fact]
    public async Task A_freshly_enrolled_device_asks_nobody_for_a_code_and_fails_closed_once_its_state_is_gone()
    {
        await EnrollAsync();
        var check = () => AgentProcess.RunAsync(null, "verify", "--user", "alice", "--check-required", "--data-dir", Store.DataDirectory);

        var fresh = await check();
        File.Delete(Path.Combine(Store.DataDirectory, "state.bin"));
        var damaged = await check();

        Assert.True(fresh.ExitCode == ExitCodes.Ok, fresh.ToString());
        Assert.True(damaged.ExitCode == ExitCodes.UsageOrStoreError, damaged.ToString());
    }

    [Fact]
    public async Task Enrollment_pins_the_control_plane_s_desired_state_key()
    {
        var config = await EnrollAsync();

        var pinned = Assert.IsType<PinnedSigningKey>(Store.LoadConfig()!.SigningKey);
        Assert.Equal(config.SigningKey!.KeyId, pinned.KeyId);
        Assert.Equal(config.SigningKey.PublicKey, pinned.PublicKey);
        Assert.Equal(StubEnrollHandler.Signer.KeyId, pinned.KeyId);
        Assert.Equal(StubEnrollHandler.Signer.PublicKey, pinned.PublicKey);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("""{"keyId":"p256-0000000000000000","publicKey":"@KEY@"}""")]
    [InlineData("""{"keyId":"@KID@","publicKey":"bm90IGEga2V5"}""")]
    [InlineData("""{"keyId":"@KID@","publicKey":"not base64!"}""")]
    public async Task Enrollment_without_a_usable_desired_state_key_fails_and_stores_no_enrollment(string signingKey)
    {
        var json = signingKey
            .Replace("@KEY@", Convert.ToBase64String(StubEnrollHandler.Signer.PublicKey), StringComparison.Ordinal)
            .Replace("@KID@", StubEnrollHandler.Signer.KeyId, StringComparison.Ordinal);
        using var handler = new StubEnrollHandler(json);

        await Assert.ThrowsAsync<EnrollmentException>(() => new Enroller(Store, new RecordingPlatform(), new FakeTimeProvider(_now), handler).EnrollAsync(_server, "connect-key", insecure: true, CancellationToken.None));

        Assert.False(Store.IsEnrolled);
    }

    public void Dispose()
    {
        _handler.Dispose();
        _root.Dispose();
    }
}
