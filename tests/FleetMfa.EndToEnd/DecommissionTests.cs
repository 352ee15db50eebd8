using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;
using MQTTnet;

namespace FleetMfa.EndToEnd;

/// <summary>
/// <c>DELETE /api/orgs/{orgId}/devices/{deviceId}</c> with real agents on both brokers: a reachable agent wipes itself
/// (store deleted, exit 5) and acknowledges it, an offline one is revoked when the grace period ends; either way its
/// MQTT credentials are refused from then on (a session still open is ended), its retained desired state is gone,
/// the device shows <c>decommissioned</c>, the listing hides it unless <c>?decommissioned=true</c>, and its id cannot
/// be registered again until its retention ends (then it is gone: 404, and the id is free).
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class DecommissionTests(EndToEndFixture fixture)
{
    private static readonly TimeSpan DaemonExitDeadline = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(BrokerKind.Embedded)]
    [InlineData(BrokerKind.Mosquitto)]
    public async Task A_reachable_agent_wipes_itself_and_acknowledges_and_its_credentials_are_refused_afterwards(BrokerKind kind)
    {
        await using var plane = await StartAsync(kind, "decom-live", grace: null);
        var admin = plane.Control.Admin;
        var flow = await AgentFlow.RunAsync(plane.Control.Silo, fixture.Workspace, $"decom-{kind.ToString().ToLowerInvariant()}");
        await using var agent = flow.Agent;
        var (org, device) = (flow.OrgId, flow.DeviceId);
        var credential = agent.MqttCredential();
        Assert.NotNull(await plane.RetainedDesiredAsync(org, device));

        var record = (await admin.DeleteAsync($"/api/orgs/{org}/devices/{device}")).Ok();
        Assert.False((bool)record["wipeAcknowledged"]!);

        var exit = await agent.Daemon!.WaitForExitAsync(DaemonExitDeadline);
        Assert.True(exit == 5, $"the daemon exited with {exit}, not 5 (decommissioned):\n{agent.AllLogs()}");
        Assert.DoesNotContain(Directory.EnumerateFiles(agent.DataDirectory), f => !f.EndsWith(".lock", StringComparison.Ordinal));

        var detail = await Poll.UntilAsync(
            () => admin.GetDeviceAsync(org, device),
            d => d["decommissioned"] is JsonObject { } r && (bool)r["wipeAcknowledged"]!,
            "the wipe acknowledged");
        Assert.Equal((string?)record["at"], (string?)detail["decommissioned"]!["at"]);

        await AssertRevokedAsync(plane, org, device, credential);
        await AssertListedOnlyAsDecommissionedAsync(admin, org, device);
        await AssertUnboundAsync(admin, org, device, flow.UserId);

        // A second DELETE answers the record as it stands; the id cannot be registered again.
        var again = (await admin.DeleteAsync($"/api/orgs/{org}/devices/{device}")).Ok();
        Assert.Equal(((string?)record["at"], true), ((string?)again["at"], (bool)again["wipeAcknowledged"]!));
        (await admin.PutAsync($"/api/orgs/{org}/devices/{device}", new { hostname = "again", os = "linux", osVersion = "12" }))
            .Problem(HttpStatusCode.Conflict, "device-decommissioned");
        (await admin.PostAsync($"/api/orgs/{org}/devices/{device}/mfa/enable")).Problem(HttpStatusCode.Conflict, "device-decommissioned");

        // Operator-audited like every mutating call: "started", then the outcome in its place.
        var audited = (await admin.ReadAuditAsync(org)).Where(i => (string?)i["action"] == "decommission-device").ToList();
        Assert.Equal(2, audited.Count);
        Assert.All(audited, i => Assert.Equal(("succeeded", $"device:{device}"), ((string?)i["outcome"], (string?)i["target"])));
    }

    [Theory]
    [InlineData(BrokerKind.Embedded)]
    [InlineData(BrokerKind.Mosquitto)]
    public async Task An_offline_agent_is_revoked_when_the_grace_period_ends_and_a_session_left_open_is_ended(BrokerKind kind)
    {
        await using var plane = await StartAsync(kind, "decom-off", grace: TimeSpan.FromSeconds(3));
        var admin = plane.Control.Admin;
        var flow = await AgentFlow.RunAsync(plane.Control.Silo, fixture.Workspace, $"decoff-{kind.ToString().ToLowerInvariant()}");
        await using var agent = flow.Agent;
        var (org, device) = (flow.OrgId, flow.DeviceId);
        var credential = agent.MqttCredential();
        Assert.Equal(0, await agent.StopDaemonAsync());

        // A client with the device's credentials that does not answer the wipe: its session must not outlive the revocation.
        await using var stale = await credential.ConnectEventuallyAsync();

        var record = (await admin.DeleteAsync($"/api/orgs/{org}/devices/{device}")).Ok();
        Assert.False((bool)record["wipeAcknowledged"]!);

        await Poll.UntilAsync(() => !stale.IsConnected, "the open session ended by the revocation");
        await AssertRevokedAsync(plane, org, device, credential);
        var detail = await admin.GetDeviceAsync(org, device);
        Assert.Equal(((string?)record["at"], false), ((string?)detail["decommissioned"]!["at"], (bool)detail["decommissioned"]!["wipeAcknowledged"]!));
        await AssertListedOnlyAsDecommissionedAsync(admin, org, device);
        await AssertUnboundAsync(admin, org, device, flow.UserId);

        // Back online too late: refused by the broker, it keeps its store (nothing told it to wipe).
        agent.StartDaemon();
        // (Mosquitto refuses the certificate at the TLS handshake, which the agent cannot tell from a broker it cannot reach.)
        await Poll.UntilAsync(
            () => agent.AllLogs().Contains("refused the connection", StringComparison.Ordinal) ||
                (kind == BrokerKind.Mosquitto && agent.AllLogs().Contains("not reachable", StringComparison.Ordinal)),
            "the daemon refused by the broker");
        Assert.Contains(Directory.EnumerateFiles(agent.DataDirectory), f => f.EndsWith("config.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Mosquitto_gets_the_revoked_certificates_in_its_CRL_and_revoked_file_and_a_silo_writes_them_again_at_start()
    {
        await using var mosquitto = await MosquittoBroker.StartAsync(fixture.Workspace, "decom-files");
        var settings = fixture.NewSiloSettings("decom-files").WithMosquitto(mosquitto);
        settings = settings with { Environment = new Dictionary<string, string>(settings.Environment) { ["FleetMfa__Decommission__RevokeGrace"] = "00:00:00" } };
        var initialCrl = await File.ReadAllBytesAsync(mosquitto.CrlFile);
        var initialRevoked = await File.ReadAllBytesAsync(mosquitto.RevokedFile);
        BrokerCredential credential;
        string serial;
        await using (var silo = await SiloProcess.StartAsync(settings))
        {
            var flow = await AgentFlow.RunAsync(silo, fixture.Workspace, "decom-files");
            await using var agent = flow.Agent;
            credential = agent.MqttCredential();
            serial = credential.Certificate!.SerialNumber;
            Assert.Equal(0, await agent.StopDaemonAsync());

            (await silo.Admin.DeleteAsync($"/api/orgs/{flow.OrgId}/devices/{flow.DeviceId}")).Ok();
            await AssertInRevocationFilesAsync(mosquitto, serial, credential.Username);
            await AssertHandshakeRefusedAsync(credential);
        }

        // The broker's files lost while no silo runs (a volume restored from before the revocation): Mosquitto takes
        // the certificate again...
        await File.WriteAllBytesAsync(mosquitto.CrlFile, initialCrl);
        await File.WriteAllBytesAsync(mosquitto.RevokedFile, initialRevoked);
        mosquitto.Reload();
        await (await credential.ConnectEventuallyAsync()).DisposeAsync();

        // ...until a silo starts: it writes the stored list again before anything else, and the reload refuses it.
        await using (await SiloProcess.StartAsync(settings))
        {
            await AssertInRevocationFilesAsync(mosquitto, serial, credential.Username);
            await AssertHandshakeRefusedAsync(credential);
        }
    }

    [Fact]
    public async Task A_decommissioned_device_is_gone_when_its_retention_ends_and_its_id_is_free_again()
    {
        // Retention in seconds instead of 30 days: the grain's reminder (no call to the device) removes the listed
        // record, and only then the device answers 404.
        var retention = TimeSpan.FromSeconds(8);
        await using var plane = await StartAsync(BrokerKind.Embedded, "decom-gone", grace: TimeSpan.Zero, retention);
        var admin = plane.Control.Admin;
        var flow = await AgentFlow.RunAsync(plane.Control.Silo, fixture.Workspace, "decom-gone");
        await using var agent = flow.Agent;
        var (org, device) = (flow.OrgId, flow.DeviceId);
        Assert.Equal(0, await agent.StopDaemonAsync());

        var record = (await admin.DeleteAsync($"/api/orgs/{org}/devices/{device}")).Ok();
        var at = DateTimeOffset.Parse((string)record["at"]!, System.Globalization.CultureInfo.InvariantCulture);
        await AssertListedOnlyAsDecommissionedAsync(admin, org, device);

        // Only the listing is read until the record is gone: it is the reminder that removes it, not a call to the device.
        await Poll.UntilAsync(
            async () => (await admin.GetAsync($"/api/orgs/{org}/devices?decommissioned=true")).Ok()["items"]!.AsArray().Count,
            count => count == 0,
            "the decommissioned record gone from the listing",
            timeout: retention + TimeSpan.FromSeconds(30));
        Assert.True(DateTimeOffset.UtcNow >= at + retention, "the record went before its retention ended");

        (await admin.GetAsync($"/api/orgs/{org}/devices/{device}")).Problem(HttpStatusCode.NotFound, "not-found");
        (await admin.DeleteAsync($"/api/orgs/{org}/devices/{device}")).Problem(HttpStatusCode.NotFound, "not-found");
        Assert.DoesNotContain((await admin.GetAsync($"/api/orgs/{org}/users/{flow.UserId}")).Ok()["devices"]!.AsArray(), d => (string?)d == device);

        // The id is free: registering it again is a new device, in service.
        var again = (await admin.PutAsync($"/api/orgs/{org}/devices/{device}", new { hostname = "again", os = "linux", osVersion = "12" })).Ok();
        Assert.Null(again["decommissioned"]);
        Assert.Equal("again", (string?)again["hostname"]);
    }

    private const string Refused = "TLS handshake refused";

    /// <summary>Fresh connects with the old credential are refused (for Mosquitto: once it reloaded), and the retained desired state is gone.</summary>
    private static async Task AssertRevokedAsync(TestPlane plane, string org, string device, BrokerCredential credential)
    {
        await Poll.UntilAsync(
            () => ConnectOutcomeAsync(credential),
            result => result is Refused or nameof(MqttClientConnectResultCode.BadUserNameOrPassword) or nameof(MqttClientConnectResultCode.NotAuthorized),
            "the device's old credentials refused");
        await Poll.UntilAsync(() => plane.RetainedDesiredAsync(org, device), payload => payload is null, "the retained desired state cleared");
    }

    /// <summary>
    /// The serial is in Mosquitto's revoked file (with the device's name) and in its CRL, which openssl verifies against
    /// the CA (the silo writes the revoked file first, then the CRL: both are waited for).
    /// </summary>
    private static async Task AssertInRevocationFilesAsync(MosquittoBroker mosquitto, string serial, string username)
    {
        var ca = Path.Combine(mosquitto.Directory, "tls", "ca.crt");
        await Poll.UntilAsync(
            async () => (await File.ReadAllLinesAsync(mosquitto.RevokedFile), Openssl.Run("crl", "-in", mosquitto.CrlFile, "-CAfile", ca, "-noout", "-text")),
            files => files.Item1.Contains($"{serial} {username}") &&
                files.Item2.Contains("verify OK", StringComparison.Ordinal) &&
                files.Item2.Contains($"Serial Number: {serial.TrimStart('0')}", StringComparison.OrdinalIgnoreCase),
            $"{serial} in Mosquitto's revoked file and CRL");
    }

    /// <summary>A fresh connect with the certificate fails at the TLS handshake (the CRL), once Mosquitto reloaded.</summary>
    private static async Task AssertHandshakeRefusedAsync(BrokerCredential credential) =>
        await Poll.UntilAsync(() => ConnectOutcomeAsync(credential), result => result is Refused, "the certificate refused at the handshake");

    /// <summary>How a fresh connect with <paramref name="credential"/> ends: the CONNACK's result code, or <see cref="Refused"/>.</summary>
    private static async Task<string> ConnectOutcomeAsync(BrokerCredential credential)
    {
        try
        {
            var (probe, result) = await credential.ConnectAsync();
            await probe.DisposeAsync();
            return result.ToString();
        }
        catch (MQTTnet.Exceptions.MqttCommunicationException)
        {
            // Mosquitto over TLS: the certificate is in its CRL, so the handshake itself fails.
            return Refused;
        }
    }

    /// <summary>The revocation unbinds the device's users: the user no longer lists it, the device lists nobody.</summary>
    private static async Task AssertUnboundAsync(ApiClient admin, string org, string device, string userId)
    {
        await Poll.UntilAsync(
            async () => (await admin.GetAsync($"/api/orgs/{org}/users/{userId}")).Ok()["devices"]!.AsArray(),
            devices => !devices.Any(d => (string?)d == device),
            $"{userId} no longer bound to {device}");
        Assert.Empty(await admin.GetDeviceUsersAsync(org, device));
    }

    private static async Task AssertListedOnlyAsDecommissionedAsync(ApiClient admin, string org, string device)
    {
        var active = (await admin.GetAsync($"/api/orgs/{org}/devices")).Ok()["items"]!.AsArray();
        Assert.DoesNotContain(active, row => (string?)row!["deviceId"] == device);
        var decommissioned = (await admin.GetAsync($"/api/orgs/{org}/devices?decommissioned=true")).Ok()["items"]!.AsArray();
        var row = Assert.Single(decommissioned);
        Assert.Equal((device, true), ((string?)row!["deviceId"], (bool)row["decommissioned"]!));
    }

    /// <summary>A control plane of this test's own (for its grace period) with an account that may read every desired topic.</summary>
    private async Task<TestPlane> StartAsync(BrokerKind kind, string name, TimeSpan? grace, TimeSpan? retention = null)
    {
        var bridgePassword = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var environment = new Dictionary<string, string>();
        if (grace is { } g)
        {
            environment["FleetMfa__Decommission__RevokeGrace"] = g.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        }

        if (retention is { } r)
        {
            environment["FleetMfa__Decommission__Retention"] = r.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        }

        if (kind == BrokerKind.Embedded)
        {
            environment["FLEETMFA_BROKER_PASSWORD"] = bridgePassword;
        }

        var settings = fixture.NewSiloSettings($"{name}-{kind.ToString().ToLowerInvariant()}") with { Environment = environment };
        var plane = await ControlPlane.StartAsync(kind, settings, fixture.Workspace, writer: true);
        return new TestPlane(plane, plane.Writer(bridgePassword));
    }

    private sealed record TestPlane(ControlPlane Control, BrokerCredential Reader) : IAsyncDisposable
    {
        /// <summary>
        /// The retained message on the device's desired topic, or null when there is none. A retained marker subscribed
        /// to after it tells: the broker sends a subscription's retained message before it handles the next SUBSCRIBE.
        /// </summary>
        public async Task<byte[]?> RetainedDesiredAsync(string org, string device)
        {
            var (reader, connected) = await Reader.ConnectAsync(clientId: $"reader-{Guid.NewGuid():N}");
            await using var _ = reader;
            Assert.Equal(MqttClientConnectResultCode.Success, connected);
            var topic = $"fleetmfa/v1/{org}/{device}/desired";
            var marker = $"fleetmfa/v1/{org}/marker-{Guid.NewGuid():N}/desired";
            var published = await reader.PublishAsync(marker, "marker"u8.ToArray(), retain: true);
            Assert.True(published is MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers, $"marker publish: {published}");
            await reader.SubscribeAsync(topic);
            await reader.SubscribeAsync(marker);
            await reader.WaitForMessageAsync(marker);
            await reader.PublishAsync(marker, [], retain: true);
            return reader.Received.FirstOrDefault(m => m.Topic == topic && m.Payload.Length > 0)?.Payload;
        }

        public ValueTask DisposeAsync() => Control.DisposeAsync();
    }
}
