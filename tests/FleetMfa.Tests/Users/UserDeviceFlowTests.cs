using System.Security.Cryptography;
using FleetMfa.Grains;
using FleetMfa.Protocol.Sealing;
using FleetMfa.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace FleetMfa.Tests.Users;

/// <summary>
/// Enrollment flows one way, user to device: the user seals its secret to each bound device's key and sends it from its
/// outbox; the device stores the ciphertext and builds its desired state from it without calling the user back.
/// No call between a user and a device interleaves, so these check that nothing waits on itself.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class UserDeviceFlowTests(ClusterFixture fixture) : IDisposable
{
    private static readonly RecordingDesiredStatePublisher Publisher = FleetSiloConfigurator.Publisher;

    /// <summary>Far below Orleans' 30 s response timeout: a deadlock broken only by that timeout fails here.</summary>
    private static readonly TimeSpan NoDeadlock = TimeSpan.FromSeconds(15);

    private readonly List<ECDiffieHellman> _keys = [];

    private IGrainFactory Grains => fixture.Grains;

    public void Dispose()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }
    }

    [Fact]
    public async Task A_confirm_and_binds_at_the_same_time_never_deadlock_and_every_device_ends_with_the_latest_sealed_secret()
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        string[] devices = ["web-01", "web-02", "web-03", "web-04", "web-05", "web-06"];
        var keys = new Dictionary<string, ECDiffieHellman>();
        foreach (var deviceId in devices)
        {
            keys[deviceId] = await AgentDeviceAsync(orgId, deviceId);
        }

        await Grains.NewUserAsync(orgId, "alice");
        var user = Grains.GetUser(orgId, "alice");

        // Round 1: the confirmation races the first half of the binds.
        var first = await user.StartTotpEnrollmentAsync();
        var confirm = user.ConfirmTotpAsync(Fleet.AuthenticatorCode(first.Secret, fixture.Time.GetUtcNow()));
        await Task.WhenAll([confirm, .. devices[..3].Select(d => Grains.GetDevice(orgId, d).BindUserAsync("alice", "alice"))]).WaitAsync(NoDeadlock);
        await DevicesHoldAsync(orgId, devices[..3], keys, first.Secret, secretVersion: 1);

        // Round 2: a new secret; its confirmation races the other binds and a rebind (new local account) of the first.
        var second = await user.StartTotpEnrollmentAsync();
        var reconfirm = user.ConfirmTotpAsync(Fleet.AuthenticatorCode(second.Secret, fixture.Time.GetUtcNow()));
        await Task.WhenAll([
            reconfirm,
            .. devices[3..].Select(d => Grains.GetDevice(orgId, d).BindUserAsync("alice", "alice")),
            .. devices[..3].Select(d => Grains.GetDevice(orgId, d).BindUserAsync("alice", "asmith")),
        ]).WaitAsync(NoDeadlock);

        await DevicesHoldAsync(orgId, devices, keys, second.Secret, secretVersion: 2);
        Assert.Equal(devices, (await user.GetAsync())!.Devices);
    }

    [Fact]
    public async Task A_reset_racing_binds_leaves_no_device_holding_the_old_secret()
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        string[] devices = ["web-01", "web-02", "web-03"];
        foreach (var deviceId in devices)
        {
            await AgentDeviceAsync(orgId, deviceId);
        }

        await Grains.EnrolledUserAsync(orgId, "alice", fixture.Time);
        var user = Grains.GetUser(orgId, "alice");
        await Grains.GetDevice(orgId, "web-01").BindUserAsync("alice", "alice");

        await Task.WhenAll([
            user.ResetTotpAsync(),
            .. devices[1..].Select(d => Grains.GetDevice(orgId, d).BindUserAsync("alice", "alice")),
        ]).WaitAsync(NoDeadlock);

        foreach (var deviceId in devices)
        {
            await Poll.UntilAsync(
                async () => (await Grains.GetDevice(orgId, deviceId).GetUsersAsync()).Single().TotpStatus,
                status => status == TotpStatus.NotEnrolled,
                $"{deviceId} heard of the reset");
            Assert.Empty(Publisher.Last(orgId, deviceId)!.Users);
        }
    }

    [Fact]
    public async Task A_device_whose_agent_enrolls_after_the_binding_gets_the_secret_sealed_to_its_new_key()
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        await Grains.RegisterLinuxAsync(orgId, "web-01");
        var device = Grains.GetDevice(orgId, "web-01");
        await device.EnableMfaAsync(force: false);
        var secret = await Grains.EnrolledUserAsync(orgId, "alice", fixture.Time);
        await device.BindUserAsync("alice", "alice");

        var key = NewKey();
        await device.EnrollAgentAsync(new AgentEnrollment("web-01.example", DeviceOs.Linux, "Debian 13", key.ExportSubjectPublicKeyInfo(), SHA256.HashData("pw"u8)));

        await DevicesHoldAsync(orgId, ["web-01"], new Dictionary<string, ECDiffieHellman> { ["web-01"] = key }, secret, secretVersion: 1);
    }

    [Fact]
    public async Task A_failed_write_of_the_user_sends_nothing_and_the_retry_reaches_the_device()
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        var key = await AgentDeviceAsync(orgId, "web-01");
        var device = Grains.GetDevice(orgId, "web-01");
        await Grains.NewUserAsync(orgId, "alice");
        await device.BindUserAsync("alice", "alice");
        var user = Grains.GetUser(orgId, "alice");
        var enrollment = await user.StartTotpEnrollmentAsync();
        await Poll.UntilAsync(async () => (await device.GetUsersAsync()).Single().TotpStatus, s => s == TotpStatus.PendingSetup, "the device heard of the setup");
        var published = Publisher.Count(orgId, "web-01");
        var code = Fleet.AuthenticatorCode(enrollment.Secret, fixture.Time.GetUtcNow());

        FaultInjectingGrainStorage.FailNextWrite(user.GetGrainId());
        await FleetAssert.StorageFailedAsync(() => user.ConfirmTotpAsync(code));

        // Whatever the user's outbox holds is sent on its timer: nothing of the unstored confirmation may reach the device.
        fixture.Time.Advance(global::FleetMfa.Grains.Users.UserGrain.NotifyRetryPeriod * 2);
        Assert.Equal(TotpStatus.PendingSetup, (await user.GetAsync())!.TotpStatus);
        Assert.Equal(TotpStatus.PendingSetup, (await device.GetUsersAsync()).Single().TotpStatus);
        Assert.Equal(published, Publisher.Count(orgId, "web-01"));

        Assert.Equal(TotpStatus.Enrolled, (await user.ConfirmTotpAsync(code)).TotpStatus);
        await DevicesHoldAsync(orgId, ["web-01"], new Dictionary<string, ECDiffieHellman> { ["web-01"] = key }, enrollment.Secret, secretVersion: 1);
    }

    [Fact]
    public async Task An_update_a_device_has_not_taken_is_kept_by_a_reminder_until_the_device_acknowledges_it()
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        await AgentDeviceAsync(orgId, "web-01");
        var device = Grains.GetDevice(orgId, "web-01");
        await Grains.NewUserAsync(orgId, "alice");
        await device.BindUserAsync("alice", "alice");
        var user = Grains.GetUser(orgId, "alice");
        Assert.Null(await NotifyReminderAsync(user));

        // The device cannot store the update: the user's outbox keeps it, and so does a reminder that would activate the
        // user again after a silo crash (the retry timer dies with the activation).
        FaultInjectingGrainStorage.FailNextWrite(device.GetGrainId());
        await user.StartTotpEnrollmentAsync();
        Assert.NotNull(await NotifyReminderAsync(user));
        Assert.Equal(TotpStatus.NotEnrolled, (await device.GetUsersAsync()).Single().TotpStatus);

        // Sent again on the retry timer, taken and acknowledged: nothing is left to tell, and the reminder goes.
        fixture.Time.Advance(global::FleetMfa.Grains.Users.UserGrain.NotifyRetryPeriod);
        await Poll.UntilAsync(async () => (await device.GetUsersAsync()).Single().TotpStatus, s => s == TotpStatus.PendingSetup, "the device took the update");
        await Poll.UntilAsync(() => NotifyReminderAsync(user), r => r is null, "the reminder removed once the device acknowledged");
    }

    [Fact]
    public async Task A_new_name_reaches_every_bound_device_and_a_profile_that_changes_nothing_is_not_written()
    {
        var orgId = await Grains.NewOrgAsync(totpEnabled: true);
        await AgentDeviceAsync(orgId, "web-01");
        var device = Grains.GetDevice(orgId, "web-01");
        var user = Grains.GetUser(orgId, "alice");
        await user.CreateOrUpdateAsync(new UserProfile("Alice", "alice@example.com"));
        await device.BindUserAsync("alice", "alice");
        var writes = WriteCountingGrainStorage.WritesOf(user.GetGrainId());

        Assert.Equal("Alice", (await user.CreateOrUpdateAsync(new UserProfile(" Alice ", "alice@example.com"))).Username);
        Assert.Equal(writes, WriteCountingGrainStorage.WritesOf(user.GetGrainId()));

        Assert.Equal("Alice Smith", (await user.CreateOrUpdateAsync(new UserProfile("Alice Smith", "alice@example.com"))).Username);
        Assert.Equal(writes + 1, WriteCountingGrainStorage.WritesOf(user.GetGrainId()));
        await Poll.UntilAsync(async () => (await device.GetUsersAsync()).Single().Username, name => name == "Alice Smith", "the device heard of the new name");
    }

    /// <summary>The user's reminder for devices still to tell, as the silos' reminder tables hold it; null when there is none.</summary>
    private async Task<ReminderEntry?> NotifyReminderAsync(IUserGrain user)
    {
        foreach (var silo in fixture.Cluster.Silos.Cast<InProcessSiloHandle>())
        {
            var table = silo.SiloHost.Services.GetRequiredService<IReminderTable>();
            if (await table.ReadRow(user.GetGrainId(), global::FleetMfa.Grains.Users.UserGrain.NotifyReminder) is { } entry)
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>A registered device with an agent (its key pair kept for unsealing) and MFA on.</summary>
    private async Task<ECDiffieHellman> AgentDeviceAsync(string orgId, string deviceId)
    {
        var key = NewKey();
        var device = Grains.GetDevice(orgId, deviceId);
        await device.EnrollAgentAsync(new AgentEnrollment($"{deviceId}.example", DeviceOs.Linux, "Debian 13", key.ExportSubjectPublicKeyInfo(), SHA256.HashData("pw"u8)));
        await device.UpdateSettingsAsync(new DeviceSettingsPatch(false, true, null, null));
        await device.EnableMfaAsync(force: false);
        return key;
    }

    private ECDiffieHellman NewKey()
    {
        var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        _keys.Add(key);
        return key;
    }

    /// <summary>Each device's latest published desired state prompts alice with <paramref name="secretVersion"/>, sealed so that only its own key opens it to <paramref name="base32Secret"/>.</summary>
    private static async Task DevicesHoldAsync(string orgId, IEnumerable<string> devices, Dictionary<string, ECDiffieHellman> keys, string base32Secret, int secretVersion)
    {
        var expected = OtpNet.Base32Encoding.ToBytes(base32Secret);
        foreach (var deviceId in devices)
        {
            var desired = await Poll.UntilAsync(
                () => Task.FromResult(Publisher.Last(orgId, deviceId)),
                d => d is not null && d.Users.Any(u => u.UserId == "alice" && u.SecretVersion == secretVersion),
                $"{deviceId} publishes alice's secret version {secretVersion}");
            var user = desired!.Users.Single(u => u.UserId == "alice");
            var plain = SecretSealer.Unseal(keys[deviceId], user.Secret, SecretSealer.AssociatedData(orgId, deviceId, "alice", secretVersion));
            Assert.Equal(expected, plain);
        }
    }
}
