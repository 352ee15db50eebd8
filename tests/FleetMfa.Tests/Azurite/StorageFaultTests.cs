using FleetMfa.Grains;
using FleetMfa.Grains.Orgs;
using FleetMfa.Grains.Security;
using FleetMfa.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace FleetMfa.Tests.Azurite;

/// <summary>
/// A storage write that fails — refused at once, or timed out — under the real grains on Azurite: the call fails,
/// nothing is published or told, the grain serves what is stored (no phantom change), a retry does the work once, and
/// after a full cluster restart the stored state is what the last successful call reported.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class StorageFaultTests(AzuriteClusterFixture fixture)
{
    private static readonly RecordingDesiredStatePublisher Publisher = FleetSiloConfigurator.Publisher;

    private IGrainFactory Grains => fixture.Grains;

    [Theory]
    [InlineData(StorageFault.Refused)]
    [InlineData(StorageFault.Timeout)]
    public async Task The_org_TOTP_switch(StorageFault fault)
    {
        var orgId = await Grains.NewOrgAsync();
        var device = await EnabledDeviceAsync(orgId, "web-01");
        var org = Grains.GetOrg(orgId);
        var before = (await org.GetAsync())!;
        var published = Publisher.Count(orgId, "web-01");

        await FailsAsync(org, fault, () => org.SetTotpEnabledAsync(true));

        Assert.Equal((false, before.PolicyFanOut.Version), ((await org.GetAsync())!.TotpEnabled, (await org.GetPolicyAsync()).Version));
        Assert.Equal(published, Publisher.Count(orgId, "web-01"));

        var switched = await org.SetTotpEnabledAsync(true);
        Assert.Equal((true, before.PolicyFanOut.Version + 1), (switched.TotpEnabled, switched.PolicyFanOut.Version));
        await Poll.UntilAsync(async () => (await device.GetAsync())!.Mfa.Required, required => required, "the switch reached the device");

        await fixture.RestartClusterAsync();
        var stored = (await Grains.GetOrg(orgId).GetAsync())!;
        Assert.Equal((true, before.PolicyFanOut.Version + 1), (stored.TotpEnabled, stored.PolicyFanOut.Version));
    }

    [Fact]
    public async Task An_org_TOTP_switch_stored_right_before_a_crash_reaches_every_shard_after_a_full_restart()
    {
        var orgId = await Grains.NewOrgAsync();
        await EnabledDeviceAsync(orgId, "web-01");
        var org = Grains.GetOrg(orgId);
        var published = Publisher.Count(orgId, "web-01");

        // Stored, and the call failed before it did anything more: what storage holds after a crash right after the write.
        await FailsAsync(org, StorageFault.AnswerLost, () => org.SetTotpEnabledAsync(true));
        Assert.Equal(published, Publisher.Count(orgId, "web-01"));

        await fixture.RestartClusterAsync();

        // The reminder armed before the write is in the reminder table, to activate the org should nothing else; here the
        // read activates it first, and the activation carries the fan-out on.
        Assert.NotNull(await FanOutReminderAsync(orgId));
        var done = await Poll.UntilAsync(async () => (await Grains.GetOrg(orgId).GetAsync())!, s => s.PolicyFanOut.Complete, "every index shard confirmed the switch");
        Assert.True(done.TotpEnabled);
        Assert.True((await Grains.GetDevice(orgId, "web-01").GetAsync())!.Mfa.Required);
        Assert.Equal(published + 1, Publisher.Count(orgId, "web-01"));
        await Poll.UntilAsync(() => FanOutReminderAsync(orgId), r => r is null, "the reminder removed once every shard confirmed");
    }

    [Theory]
    [InlineData(StorageFault.Refused, true)]
    [InlineData(StorageFault.Timeout, true)]
    [InlineData(StorageFault.Refused, false)]
    [InlineData(StorageFault.Timeout, false)]
    public async Task The_device_MFA_switch(StorageFault fault, bool enable)
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        await Grains.EnrollAgentAsync(orgId, "web-01");
        var device = Grains.GetDevice(orgId, "web-01");
        if (!enable)
        {
            await device.EnableMfaAsync(force: false);
        }

        var before = (await device.GetAsync())!.Mfa;
        var published = Publisher.Count(orgId, "web-01");

        await FailsAsync(device, fault, () => enable ? device.EnableMfaAsync(force: false) : device.DisableMfaAsync());

        var unchanged = (await device.GetAsync())!.Mfa;
        Assert.Equal((before.Desired, before.DesiredVersion), (unchanged.Desired, unchanged.DesiredVersion));
        Assert.Equal(published, Publisher.Count(orgId, "web-01"));

        var done = (await (enable ? device.EnableMfaAsync(force: false) : device.DisableMfaAsync())).Mfa;
        Assert.Equal((enable, before.DesiredVersion + 1), (done.Desired, done.DesiredVersion));
        Assert.Equal(published + 1, Publisher.Count(orgId, "web-01"));

        await fixture.RestartClusterAsync();
        var stored = (await Grains.GetDevice(orgId, "web-01").GetAsync())!.Mfa;
        Assert.Equal((enable, before.DesiredVersion + 1), (stored.Desired, stored.DesiredVersion));
    }

    [Theory]
    [InlineData(StorageFault.Refused)]
    [InlineData(StorageFault.Timeout)]
    public async Task A_connect_key_revoke(StorageFault fault)
    {
        var orgId = await Grains.NewOrgAsync();
        var org = Grains.GetOrg(orgId);
        var key = await org.CreateConnectKeyAsync("laptops");
        Assert.True(ApiKeys.TryParseOrgKey(key.Key, ApiKeys.ConnectPrefix, out _, out _, out var secret));
        var hash = ApiKeys.Hash(secret);

        await FailsAsync(org, fault, () => org.RevokeConnectKeyAsync(key.KeyId));

        Assert.True(await org.IsConnectKeyValidAsync(key.KeyId, hash), "a revoke that was not stored must not look done");
        await org.RevokeConnectKeyAsync(key.KeyId);
        Assert.False(await org.IsConnectKeyValidAsync(key.KeyId, hash));

        await fixture.RestartClusterAsync();
        Assert.False(await Grains.GetOrg(orgId).IsConnectKeyValidAsync(key.KeyId, hash));
    }

    [Theory]
    [InlineData(StorageFault.Refused)]
    [InlineData(StorageFault.Timeout)]
    public async Task An_operator_key_revoke(StorageFault fault)
    {
        var orgId = await Grains.NewOrgAsync();
        var org = Grains.GetOrg(orgId);
        var key = await org.CreateApiKeyAsync("ops");
        Assert.True(ApiKeys.TryParseOrgKey(key.Key, ApiKeys.OperatorPrefix, out _, out _, out var secret));
        var hash = ApiKeys.Hash(secret);

        await FailsAsync(org, fault, () => org.RevokeApiKeyAsync(key.KeyId));

        Assert.Equal("ops", await org.FindApiKeyNameAsync(key.KeyId, hash));
        Assert.Single(await org.ListApiKeysAsync());
        await org.RevokeApiKeyAsync(key.KeyId);
        Assert.Null(await org.FindApiKeyNameAsync(key.KeyId, hash));

        await fixture.RestartClusterAsync();
        Assert.Null(await Grains.GetOrg(orgId).FindApiKeyNameAsync(key.KeyId, hash));
        Assert.Empty(await Grains.GetOrg(orgId).ListApiKeysAsync());
    }

    [Theory]
    [InlineData(StorageFault.Refused)]
    [InlineData(StorageFault.Timeout)]
    public async Task A_use_of_a_connect_key_with_a_use_limit(StorageFault fault)
    {
        var orgId = await Grains.NewOrgAsync();
        var org = Grains.GetOrg(orgId);
        var key = await org.CreateConnectKeyAsync("one laptop", maxUses: 1);
        Assert.True(ApiKeys.TryParseOrgKey(key.Key, ApiKeys.ConnectPrefix, out _, out _, out var secret));
        var hash = ApiKeys.Hash(secret);

        await FailsAsync(org, fault, () => org.UseConnectKeyAsync(key.KeyId, hash));

        Assert.Equal((0, 1), Uses(Assert.Single(await org.ListConnectKeysAsync())));
        Assert.True(await org.UseConnectKeyAsync(key.KeyId, hash));
        Assert.False(await org.UseConnectKeyAsync(key.KeyId, hash));

        await fixture.RestartClusterAsync();
        Assert.Equal((1, 0), Uses(Assert.Single(await Grains.GetOrg(orgId).ListConnectKeysAsync())));
        Assert.False(await Grains.GetOrg(orgId).UseConnectKeyAsync(key.KeyId, hash));
    }

    [Theory]
    [InlineData(StorageFault.Refused)]
    [InlineData(StorageFault.Timeout)]
    public async Task A_user_s_enrollment_and_its_confirmation(StorageFault fault)
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        var device = await EnabledDeviceAsync(orgId, "web-01");
        await Grains.NewUserAsync(orgId, "alice");
        await device.BindUserAsync("alice", "asmith");
        var user = Grains.GetUser(orgId, "alice");

        await FailsAsync(user, fault, () => user.StartTotpEnrollmentAsync());
        Assert.Equal((TotpStatus.NotEnrolled, 0), Enrollment(await user.GetAsync()));
        var enrollment = await user.StartTotpEnrollmentAsync();
        Assert.Equal((TotpStatus.PendingSetup, 1), Enrollment(await user.GetAsync()));

        var published = Publisher.Count(orgId, "web-01");
        var code = Fleet.AuthenticatorCode(enrollment.Secret, fixture.Time.GetUtcNow());
        await FailsAsync(user, fault, () => user.ConfirmTotpAsync(code));
        Assert.Equal((TotpStatus.PendingSetup, 1), Enrollment(await user.GetAsync()));
        Assert.Equal(published, Publisher.Count(orgId, "web-01"));
        Assert.Equal(TotpStatus.PendingSetup, Assert.Single(await device.GetUsersAsync()).TotpStatus);

        Assert.Equal(TotpStatus.Enrolled, (await user.ConfirmTotpAsync(code)).TotpStatus);
        await Poll.UntilAsync(() => Task.FromResult(Publisher.Count(orgId, "web-01")), n => n > published, "the device got alice's secret");

        await fixture.RestartClusterAsync();
        Assert.Equal((TotpStatus.Enrolled, 1), Enrollment(await Grains.GetUser(orgId, "alice").GetAsync()));
    }

    [Fact]
    public async Task A_device_that_cannot_take_a_users_change_is_told_again_by_the_users_outbox_without_a_retry_of_the_call()
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        var device = await EnabledDeviceAsync(orgId, "web-01");
        await Grains.NewUserAsync(orgId, "alice");
        await device.BindUserAsync("alice", "asmith");
        var user = Grains.GetUser(orgId, "alice");
        var enrollment = await user.StartTotpEnrollmentAsync();
        var published = Publisher.Count(orgId, "web-01");

        // The user's change is stored; telling the device fails (its write is refused): the call still succeeds, and
        // the device is told again from the user's stored outbox.
        FaultInjectingGrainStorage.FailNextWrite(device.GetGrainId());
        var code = Fleet.AuthenticatorCode(enrollment.Secret, fixture.Time.GetUtcNow());
        Assert.Equal(TotpStatus.Enrolled, (await user.ConfirmTotpAsync(code)).TotpStatus);
        await Poll.UntilAsync(() => Task.FromResult(FaultInjectingGrainStorage.IsArmed(device.GetGrainId())), armed => !armed, "the device tried to store alice's update");
        Assert.Equal(published, Publisher.Count(orgId, "web-01"));
        Assert.Equal(TotpStatus.PendingSetup, Assert.Single(await device.GetUsersAsync()).TotpStatus);

        // The outbox's retry timer runs on the grains' (fake) clock.
        fixture.Time.Advance(global::FleetMfa.Grains.Users.UserGrain.NotifyRetryPeriod);
        await Poll.UntilAsync(() => Task.FromResult(Publisher.Count(orgId, "web-01")), n => n > published, "the device got alice's secret from the user's outbox");
        await fixture.RestartClusterAsync();
        Assert.Equal((TotpStatus.Enrolled, 1), Enrollment(await Grains.GetUser(orgId, "alice").GetAsync()));
    }

    [Theory]
    [InlineData(StorageFault.Refused)]
    [InlineData(StorageFault.Timeout)]
    public async Task A_rollout_start(StorageFault fault)
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        await Grains.EnrollAgentAsync(orgId, "web-01");
        var rollout = Grains.GetRollout(orgId, "r-faulty");
        var spec = EnableSpec();
        var published = Publisher.Count(orgId, "web-01");

        await FailsAsync(rollout, fault, () => rollout.StartAsync(spec, ["web-01"]));

        Assert.Null(await rollout.GetAsync());
        Assert.False((await Grains.GetDevice(orgId, "web-01").GetAsync())!.Mfa.Desired);
        Assert.Equal(published, Publisher.Count(orgId, "web-01"));
        Assert.Equal(RolloutStatus.Running, (await rollout.StartAsync(spec, ["web-01"])).Status);

        // The stored start reaches the device: one publish, the one the failed start never made.
        await Poll.UntilAsync(() => Task.FromResult(Publisher.Count(orgId, "web-01")), n => n > published, "the rollout enabled the device");
        Assert.Equal(published + 1, Publisher.Count(orgId, "web-01"));

        await fixture.RestartClusterAsync();
        Assert.Equal(1, (await Grains.GetRollout(orgId, "r-faulty").GetAsync())!.Counts.Total);
        Assert.Equal(["r-faulty"], await Grains.GetOrg(orgId).GetRolloutIdsAsync());
    }

    [Theory]
    [InlineData(StorageFault.Refused)]
    [InlineData(StorageFault.Timeout)]
    public async Task A_device_s_ack(StorageFault fault)
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        await Grains.EnrollAgentAsync(orgId, "web-01");
        var device = Grains.GetDevice(orgId, "web-01");
        await device.EnableMfaAsync(force: false);
        var published = Publisher.Count(orgId, "web-01");

        await FailsAsync(device, fault, () => Grains.AckAsync(orgId, "web-01"));

        Assert.Equal(MfaStatus.Pending, (await device.GetAsync())!.Mfa.Status);
        Assert.Equal(published, Publisher.Count(orgId, "web-01"));
        await Grains.AckAsync(orgId, "web-01");
        Assert.Equal(MfaStatus.Enabled, (await device.GetAsync())!.Mfa.Status);
        Assert.Equal(published, Publisher.Count(orgId, "web-01"));

        await fixture.RestartClusterAsync();
        Assert.Equal(MfaStatus.Enabled, (await Grains.GetDevice(orgId, "web-01").GetAsync())!.Mfa.Status);
    }

    [Theory]
    [InlineData(StorageFault.Refused)]
    [InlineData(StorageFault.Timeout)]
    public async Task A_device_s_ack_of_a_rollout_s_switch(StorageFault fault)
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        await Grains.EnrollAgentAsync(orgId, "web-01");
        var device = Grains.GetDevice(orgId, "web-01");
        var rollout = Grains.GetRollout(orgId, "r-ack");
        var published = Publisher.Count(orgId, "web-01");

        // The rollout's switch is the device's next write, its agent's ack the one after: that one fails.
        FaultInjectingGrainStorage.FailWrite(device.GetGrainId(), 2, fault);
        await rollout.StartAsync(EnableSpec(), ["web-01"]);
        await Poll.UntilAsync(() => Task.FromResult(Publisher.Count(orgId, "web-01")), n => n > published, "the rollout switched the device");

        await FailedAsync(device, () => Grains.AckAsync(orgId, "web-01"));

        Assert.Equal(MfaStatus.Pending, (await device.GetAsync())!.Mfa.Status);
        Assert.Equal(new RolloutCounts(1, 0, 1, 0, 0), (await rollout.GetAsync())!.Counts);
        Assert.Equal(published + 1, Publisher.Count(orgId, "web-01"));

        await Grains.AckAsync(orgId, "web-01");
        var done = await Poll.UntilAsync(async () => (await rollout.GetAsync())!, r => r.Status != RolloutStatus.Running, "the rollout finished");
        Assert.Equal((RolloutStatus.Completed, new RolloutCounts(1, 1, 0, 0, 0)), (done.Status, done.Counts));
        Assert.Equal(published + 1, Publisher.Count(orgId, "web-01"));

        await fixture.RestartClusterAsync();
        Assert.Equal(MfaStatus.Enabled, (await Grains.GetDevice(orgId, "web-01").GetAsync())!.Mfa.Status);
        var stored = (await Grains.GetRollout(orgId, "r-ack").GetAsync())!;
        Assert.Equal((RolloutStatus.Completed, new RolloutCounts(1, 1, 0, 0, 0)), (stored.Status, stored.Counts));
    }

    [Fact]
    public async Task The_storage_failure_assertion_tells_a_refusal_from_a_storage_failure()
    {
        Assert.Equal(404, await FleetAssert.ApiStatusAsync(FleetMfaException.NotFound("no such org")));
        Assert.Equal(500, await FleetAssert.ApiStatusAsync(new InvalidOperationException($"{FaultInjectingGrainStorage.InjectedMarker} refused")));
        await Assert.ThrowsAnyAsync<Xunit.Sdk.XunitException>(() => FleetAssert.StorageFailedAsync(() => throw FleetMfaException.Validation("a bad request")));
        await Assert.ThrowsAnyAsync<Xunit.Sdk.XunitException>(() => FleetAssert.StorageFailedAsync(() => throw new InvalidOperationException("not injected")));
        await FleetAssert.StorageFailedAsync(() => throw new Orleans.Runtime.OrleansException("storage failed", new TimeoutException($"{FaultInjectingGrainStorage.InjectedMarker} timed out")));
    }

    [Fact]
    public async Task A_device_write_stored_with_its_answer_lost_is_published_once_by_the_retry()
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        await Grains.EnrollAgentAsync(orgId, "web-01");
        var device = Grains.GetDevice(orgId, "web-01");
        var before = (await device.GetAsync())!.Mfa;
        var published = Publisher.Count(orgId, "web-01");

        await FailsAsync(device, StorageFault.AnswerLost, () => device.EnableMfaAsync(force: false));
        Assert.Equal(published, Publisher.Count(orgId, "web-01"));

        // The retry meets the stored write (a stale ETag), reads it back and finds nothing left to decide: it carries out
        // the outbox that write stored, once, and the version is the one that write made.
        var done = (await device.EnableMfaAsync(force: false)).Mfa;
        Assert.Equal((true, before.DesiredVersion + 1), (done.Desired, done.DesiredVersion));
        Assert.Equal(published + 1, Publisher.Count(orgId, "web-01"));

        await device.EnableMfaAsync(force: false);
        Assert.Equal(published + 1, Publisher.Count(orgId, "web-01"));

        await fixture.RestartClusterAsync();
        var stored = (await Grains.GetDevice(orgId, "web-01").GetAsync())!.Mfa;
        Assert.Equal((true, before.DesiredVersion + 1), (stored.Desired, stored.DesiredVersion));
    }

    private static RolloutSpec EnableSpec() =>
        new(RolloutAction.EnableMfa, false, null, RolloutSpec.DefaultMaxConcurrency, null, null, RolloutSpec.DefaultAckTimeout, "test");

    /// <summary>The org's policy fan-out reminder in the current cluster's reminder table; null when there is none.</summary>
    private async Task<ReminderEntry?> FanOutReminderAsync(string orgId)
    {
        var silo = fixture.Cluster.Silos.Cast<InProcessSiloHandle>().First();
        return await silo.SiloHost.Services.GetRequiredService<IReminderTable>().ReadRow(Grains.GetOrg(orgId).GetGrainId(), OrgGrain.FanOutReminder);
    }

    private static (TotpStatus, int) Enrollment(UserInfo? user) => (user!.TotpStatus, user.SecretVersion);

    private static (int?, int?) Uses(ConnectKeyInfo key) => (key.Uses, key.RemainingUses);

    /// <summary>
    /// Arms <paramref name="fault"/> for <paramref name="grain"/>'s next write and asserts that <paramref name="call"/>
    /// fails with it: a storage failure the API answers with a 5xx, not a refusal.
    /// </summary>
    private static async Task FailsAsync(IAddressable grain, StorageFault fault, Func<Task> call)
    {
        FaultInjectingGrainStorage.FailNextWrite(grain.GetGrainId(), fault);
        await FailedAsync(grain, call);
    }

    /// <summary>Asserts that <paramref name="call"/> fails with the fault armed for <paramref name="grain"/>, and took it.</summary>
    private static async Task FailedAsync(IAddressable grain, Func<Task> call)
    {
        Assert.True(FaultInjectingGrainStorage.IsArmed(grain.GetGrainId()), "no fault armed for the call");
        await FleetAssert.StorageFailedAsync(call);
        Assert.False(FaultInjectingGrainStorage.IsArmed(grain.GetGrainId()), "the call never wrote");
    }

    private async Task<IDeviceGrain> EnabledDeviceAsync(string orgId, string deviceId)
    {
        await Grains.EnrollAgentAsync(orgId, deviceId);
        var device = Grains.GetDevice(orgId, deviceId);
        await device.EnableMfaAsync(force: false);
        await Grains.AckAsync(orgId, deviceId);
        return device;
    }
}
