using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Agents;
using MQTTnet;

namespace FleetMfa.EndToEnd;

/// <summary>
/// Each device has its own broker credentials and may read only its own <c>desired</c> and write only its own
/// <c>reported</c>/<c>events</c>/<c>presence</c> (DESIGN §4) — enforced in-process by the embedded broker and by
/// Mosquitto's certificate check and pattern ACL. Device A here is an MQTT client the test drives with A's credentials.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class BrokerAclTests(EndToEndFixture fixture)
{
    [Theory]
    [InlineData(BrokerKind.Embedded)]
    [InlineData(BrokerKind.Mosquitto)]
    public async Task A_device_reads_its_own_desired_state_but_not_another_devices(BrokerKind kind)
    {
        var (a, b) = await EnrollTwoDevicesAsync(kind);
        await using var probe = await a.Credential.ConnectEventuallyAsync();

        // B's first: its retained message would be delivered before A's own, which is subscribed second.
        var foreign = await probe.SubscribeAsync(b.Topic("desired"));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await probe.SubscribeAsync(a.Topic("desired")));

        var own = await probe.WaitForMessageAsync(a.Topic("desired"));
        Assert.True(own.Retain);
        var desired = JsonNode.Parse(DesiredMessages.Document(own.Payload))!;
        Assert.Equal(a.OrgId, (string?)desired["orgId"]);
        Assert.Equal(a.DeviceId, (string?)desired["deviceId"]);
        Assert.DoesNotContain(probe.Received, m => m.Topic == b.Topic("desired"));
        if (kind == BrokerKind.Embedded)
        {
            Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, foreign);
        }
        else
        {
            // Mosquitto (2.0) grants the subscription and then drops whatever the ACL does not let A read.
            Assert.True(foreign is MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.NotAuthorized, $"subscribe: {foreign}");
        }
    }

    [Theory]
    [InlineData(BrokerKind.Embedded)]
    [InlineData(BrokerKind.Mosquitto)]
    public async Task A_device_cannot_report_or_announce_presence_for_another_device(BrokerKind kind)
    {
        var plane = await fixture.SharedControlPlaneAsync(kind);
        var (a, b) = await EnrollTwoDevicesAsync(kind);
        var before = await plane.Admin.GetDeviceAsync(b.OrgId, b.DeviceId);
        var rowBefore = await plane.Admin.GetDeviceRowAsync(b.OrgId, b.DeviceId);
        await using var probe = await a.Credential.ConnectEventuallyAsync();

        var spoofed = ReportJson.Create((long)before["mfa"]!["desiredVersion"]!, "spoofed 1.0", agentVersion: "6.6.6");
        var reported = await probe.PublishAsync(b.Topic("reported"), ReportJson.Bytes(spoofed));
        var presence = await probe.PublishAsync(b.Topic("presence"), "online"u8.ToArray(), retain: true);
        if (kind == BrokerKind.Embedded)
        {
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, reported);
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, presence);
        }

        // A marker report on A's own topic, published after the spoofed ones: once the silo has handled it, it has
        // had every chance to handle those too.
        var marker = $"marker {Guid.NewGuid():N}"[..20];
        Assert.Equal(MqttClientPublishReasonCode.Success, await probe.PublishAsync(a.Topic("reported"), ReportJson.Bytes(ReportJson.Create(0, marker))));
        await Poll.UntilAsync(
            () => plane.Admin.GetDeviceAsync(a.OrgId, a.DeviceId),
            d => (string?)d["osVersion"] == marker,
            "A's own report handled by the silo");

        var after = await plane.Admin.GetDeviceAsync(b.OrgId, b.DeviceId);
        Assert.True(JsonNode.DeepEquals(before, after), $"B changed through A's publish:\nbefore {before.ToJsonString()}\nafter  {after.ToJsonString()}");
        Assert.True(JsonNode.DeepEquals(rowBefore, await plane.Admin.GetDeviceRowAsync(b.OrgId, b.DeviceId)), "B's listing row changed through A's publish");
    }

    [Fact]
    public async Task A_wrong_password_or_an_unknown_username_cannot_connect()
    {
        // The embedded broker's development listener, where devices enrolled without a signing request log in with passwords.
        var (a, _) = await EnrollTwoDevicesAsync(BrokerKind.Embedded);
        var password = a.Credential.Password!;

        // The right credentials work, so a refusal below is about the credentials.
        await (await a.Credential.ConnectEventuallyAsync()).DisposeAsync();

        var wrongPassword = $"{password[..^1]}{(password[^1] == '0' ? '1' : '0')}";
        await AssertRefusedAsync(a.Port, a.Username, wrongPassword);
        await AssertRefusedAsync(a.Port, a.Username, "");
        await AssertRefusedAsync(a.Port, $"{a.OrgId}/ghost-device", password);
        await AssertRefusedAsync(a.Port, "fleetmfa-bridge", password);
    }

    [Fact]
    public async Task Mosquitto_takes_only_certificates_of_the_FleetMfa_CA_and_no_password()
    {
        var plane = await fixture.SharedControlPlaneAsync(BrokerKind.Mosquitto);
        var (a, _) = await EnrollTwoDevicesAsync(BrokerKind.Mosquitto);
        await (await a.Credential.ConnectEventuallyAsync()).DisposeAsync();

        // No certificate, or one a CA of the attacker's own issued for the device's name: the TLS handshake fails.
        await Assert.ThrowsAnyAsync<Exception>(() => MqttProbe.ConnectWithCertificateAsync(a.Port, null, a.Username));
        using var foreign = TestCertificates.SelfIssued(a.Username);
        await Assert.ThrowsAnyAsync<Exception>(() => MqttProbe.ConnectWithCertificateAsync(a.Port, foreign, a.Username));

        // A password on the plain protocol: nothing listens there but TLS.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var (probe, result) = await MqttProbe.ConnectAsync(a.Port, a.Username, "password");
            await probe.DisposeAsync();
            Assert.NotEqual(MqttClientConnectResultCode.Success, result);
        });
        Assert.False(File.Exists(Path.Combine(plane.Mosquitto!.Directory, "passwd")), "Mosquitto over TLS has no password file");
    }

    [Theory]
    [InlineData(BrokerKind.Embedded)]
    [InlineData(BrokerKind.Mosquitto)]
    public async Task A_device_cannot_connect_under_another_devices_client_id(BrokerKind kind)
    {
        // MQTT gives a client id one session: a device that could log in under another's id would take over (and
        // disconnect) that device's session. The embedded broker refuses a client id that is not the username;
        // Mosquitto (use_username_as_clientid) connects the intruder under its own name instead.
        var (a, b) = await EnrollTwoDevicesAsync(kind);
        await using var deviceB = await b.Credential.ConnectEventuallyAsync();
        await (await a.Credential.ConnectEventuallyAsync()).DisposeAsync();

        var (intruder, result) = await a.Credential.ConnectAsync(clientId: b.Username);
        await using (intruder)
        {
            var bStillConnected = await deviceB.PingAsync();
            Assert.True(
                bStillConnected && (kind == BrokerKind.Mosquitto || result != MqttClientConnectResultCode.Success),
                $"{a.Username} connecting with client id {b.Username} ({kind}): {result}; B's own session {(bStillConnected ? "survived" : "was taken over")}");
        }
    }

    private static async Task AssertRefusedAsync(int port, string username, string password)
    {
        var (probe, result) = await MqttProbe.ConnectAsync(port, username, password);
        await using (probe)
        {
            Assert.True(
                result is MqttClientConnectResultCode.BadUserNameOrPassword or MqttClientConnectResultCode.NotAuthorized,
                $"{username} with a bad password: {result}");
            Assert.False(probe.IsConnected);
        }
    }

    private async Task<(EnrolledDevice A, EnrolledDevice B)> EnrollTwoDevicesAsync(BrokerKind kind)
    {
        var plane = await fixture.SharedControlPlaneAsync(kind);
        var org = TestIds.Unique("acl");
        await plane.Admin.CreateOrgAsync(org);
        var (_, connectKey) = await plane.Admin.CreateConnectKeyAsync(org);
        // On the embedded broker its development listener, with passwords; Mosquitto takes certificates only.
        var withCertificate = kind == BrokerKind.Mosquitto;
        var a = await plane.Silo.Anonymous.EnrollDeviceAsync(connectKey, "device-a", withCertificate);
        var b = await plane.Silo.Anonymous.EnrollDeviceAsync(connectKey, "device-b", withCertificate);
        Assert.Equal(plane.MqttPort, a.Port);
        Assert.Equal($"{org}/{a.DeviceId}", a.Username);
        return (a, b);
    }
}
