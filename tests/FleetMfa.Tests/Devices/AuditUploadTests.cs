using System.Security.Cryptography;
using System.Text.Json;
using FleetMfa.Grains;
using FleetMfa.Grains.Audit;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Devices;

/// <summary>
/// A device's uploaded login decisions become audit records: stored once however often the batch is delivered, marked
/// late when they happened more than two minutes before they arrived, dropped when malformed, and taken from a
/// decommissioned device until its credentials are revoked.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AuditUploadTests(ClusterFixture fixture)
{
    private readonly IGrainFactory _grains = fixture.Grains;

    [Fact]
    public async Task Uploaded_events_are_stored_once_with_late_marked_and_garbage_dropped()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        var device = await EnrolledDeviceAsync(orgId, "web-01");
        var now = fixture.Time.GetUtcNow();
        var batch = new AuditEventBatch(AuditEventBatch.CurrentSchema,
        [
            new AuditEvent("e-online", now.AddSeconds(-5), AuditOutcome.Accepted, "asmith", "alice"),
            new AuditEvent("e-offline", now.AddMinutes(-10), AuditOutcome.Rejected, "asmith", "alice"),
            new AuditEvent("e-lock", now.AddMinutes(-9), AuditOutcome.LockedOut, "asmith", "alice"),
            new AuditEvent("e-unknown-user", now.AddMinutes(-1), AuditOutcome.NotRequired, "root", null),
            new AuditEvent("e-bad-user", now, AuditOutcome.Accepted, "bad user", null),
            new AuditEvent("e/bad-id", now, AuditOutcome.Accepted, "asmith", null),
            new AuditEvent("e-future", now.AddDays(2), AuditOutcome.Accepted, "asmith", null),
            new AuditEvent("e-bad-user-id", now, AuditOutcome.Accepted, "asmith", "Alice!"),
        ]);
        var payload = JsonSerializer.SerializeToUtf8Bytes(batch, ProtocolJsonContext.Default.AuditEventBatch);

        // The receipt names every event the trail now holds or refused for good (all but the malformed id): the agent
        // drops those from its queue, and would send none of them again.
        string[] settled = ["e-online", "e-offline", "e-lock", "e-unknown-user", "e-bad-user", "e-future", "e-bad-user-id"];
        Assert.Equal(settled, await device.UploadAuditAsync(payload));
        fixture.Time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(settled, await device.UploadAuditAsync(payload)); // QoS 1 redelivery, later: nothing changes

        var records = FleetSiloConfigurator.AuditLog.All(orgId);
        Assert.Equal(["e-online", "e-unknown-user", "e-lock", "e-offline"], records.Select(r => r.Id.Split(':')[2]));
        Assert.All(records, r =>
        {
            Assert.Equal(AuditKind.Device, r.Kind);
            Assert.Equal("device:web-01", r.Actor);
            Assert.Equal("web-01", r.DeviceId);
            Assert.Equal("login", r.Action);
            Assert.Equal(now, r.ReceivedAt);
        });
        var byEvent = records.ToDictionary(r => r.Id.Split(':')[2]);
        Assert.False(byEvent["e-online"].Late);
        Assert.False(byEvent["e-unknown-user"].Late);
        Assert.True(byEvent["e-offline"].Late);
        Assert.True(byEvent["e-lock"].Late);
        Assert.Equal(("accepted", "user:alice", "alice", "asmith"), Fields(byEvent["e-online"]));
        Assert.Equal(("rejected", "user:alice", "alice", "asmith"), Fields(byEvent["e-offline"]));
        Assert.Equal(("locked-out", "user:alice", "alice", "asmith"), Fields(byEvent["e-lock"]));
        Assert.Equal(("not-required", "local-user:root", null, "root"), Fields(byEvent["e-unknown-user"]));
        Assert.Equal(now.AddMinutes(-10), byEvent["e-offline"].Time);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("""{"schema":2,"events":[]}""")]
    [InlineData("""{"schema":1}""")]
    [InlineData("null")]
    public async Task A_malformed_batch_is_dropped(string json)
    {
        var orgId = await _grains.NewOrgAsync();
        var device = await EnrolledDeviceAsync(orgId, "web-01");

        Assert.Empty(await device.UploadAuditAsync(System.Text.Encoding.UTF8.GetBytes(json)));

        Assert.Empty(FleetSiloConfigurator.AuditLog.All(orgId));
    }

    [Fact]
    public async Task A_device_without_an_agent_cannot_write_to_the_trail()
    {
        var orgId = await _grains.NewOrgAsync();
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        var batch = new AuditEventBatch(AuditEventBatch.CurrentSchema, [new AuditEvent("e1", fixture.Time.GetUtcNow(), AuditOutcome.Accepted, "asmith", null)]);

        Assert.Empty(await _grains.GetDevice(orgId, "web-01").UploadAuditAsync(JsonSerializer.SerializeToUtf8Bytes(batch, ProtocolJsonContext.Default.AuditEventBatch)));

        Assert.Empty(FleetSiloConfigurator.AuditLog.All(orgId));
    }

    [Fact]
    public async Task A_decommissioned_device_records_its_logins_until_it_is_revoked_and_none_after()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        var device = await EnrolledDeviceAsync(orgId, "web-01");
        await device.DecommissionAsync();
        var now = fixture.Time.GetUtcNow();

        // Between the DELETE and the revocation the device still holds its credentials: its logins belong in the trail.
        Assert.Equal(["e-grace"], await device.UploadAuditAsync(Batch(new AuditEvent("e-grace", now, AuditOutcome.Accepted, "asmith", null))));

        await _grains.ReportWipedAsync(orgId, "web-01");
        Assert.Empty(await device.UploadAuditAsync(Batch(new AuditEvent("e-revoked", now, AuditOutcome.Accepted, "asmith", null))));

        Assert.Equal(["e-grace"], FleetSiloConfigurator.AuditLog.All(orgId).Where(r => r.Action == "login").Select(r => r.Id.Split(':')[2]));
    }

    private static byte[] Batch(params AuditEvent[] events) =>
        JsonSerializer.SerializeToUtf8Bytes(new AuditEventBatch(AuditEventBatch.CurrentSchema, events), ProtocolJsonContext.Default.AuditEventBatch);

    private static (string?, string, string?, string?) Fields(AuditEntry e) => (e.Outcome, e.Target, e.UserId, e.LocalUsername);

    private async Task<IDeviceGrain> EnrolledDeviceAsync(string orgId, string deviceId)
    {
        var device = _grains.GetDevice(orgId, deviceId);
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        await device.EnrollAgentAsync(new AgentEnrollment($"{deviceId}.example", DeviceOs.Linux, "Debian 13", key.ExportSubjectPublicKeyInfo(), SHA256.HashData("password"u8)));
        return device;
    }
}
