using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.EndToEnd.Packaging;
using MQTTnet;

namespace FleetMfa.EndToEnd;

/// <summary>
/// Device certificates on the embedded broker (issue 16, item 4): an agent that enrolls with a signing request gets a
/// client certificate from the FleetMfa CA naming <c>{orgId}/{deviceId}</c> and is sent to the broker's TLS listener,
/// where that certificate — and nothing else: it is given no password — lets it in as that device only; it renews for
/// the same key, and a decommissioned device's certificates are refused. A silo as deployed has no plain listener.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class DeviceCertificateTests(EndToEndFixture fixture)
{
    private SiloProcess Silo => fixture.Silo;

    [Fact]
    public async Task A_device_connects_over_TLS_with_its_certificate_and_no_other_certificate_or_password_gets_in()
    {
        var device = await EnrollAsync("cert-tls");
        Assert.Equal((true, Silo.MqttTlsPort), ((bool)device.Mqtt["useTls"]!, (int)device.Mqtt["port"]!));
        Assert.Null(device.Mqtt["password"]);
        Assert.Equal($"{device.OrgId}/{device.DeviceId}", device.Certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.Contains(device.Certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.2");
        Assert.InRange(device.Certificate.NotAfter.ToUniversalTime() - DateTime.UtcNow, TimeSpan.FromDays(29.9), TimeSpan.FromDays(30));

        var (probe, result) = await MqttProbe.ConnectWithCertificateAsync(Silo.MqttTlsPort, device.WithKey(), device.Username);
        await using (probe)
        {
            Assert.Equal(MqttClientConnectResultCode.Success, result);
            Assert.Equal(MQTTnet.Protocol.MqttSubscribeReasonCode.GrantedQoS1.ToString(), (await probe.SubscribeAsync($"fleetmfa/v1/{device.Username}/desired")).ToString());
        }

        // Its own certificate under another device's client id; no certificate; a certificate another CA issued for
        // the same name: refused, at CONNECT or in the handshake.
        var other = await EnrollAsync("cert-other");
        var (impostor, impersonated) = await MqttProbe.ConnectWithCertificateAsync(Silo.MqttTlsPort, device.WithKey(), other.Username);
        await using (impostor)
        {
            Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, impersonated);
        }

        await Assert.ThrowsAnyAsync<Exception>(() => MqttProbe.ConnectWithCertificateAsync(Silo.MqttTlsPort, null, device.Username));
        using var forged = TestCertificates.SelfIssued(device.Username);
        await Assert.ThrowsAnyAsync<Exception>(() => MqttProbe.ConnectWithCertificateAsync(Silo.MqttTlsPort, forged, device.Username));
    }

    [Fact]
    public async Task A_renewal_is_issued_only_for_the_devices_key_and_both_certificates_connect_until_decommission_revokes_them()
    {
        var device = await EnrollAsync("cert-renew");
        var renewed = (await Silo.Anonymous.PostAsync("/api/agent/certificate", new { orgId = device.OrgId, deviceId = device.DeviceId, csr = Csr(device.Key) })).Ok();
        using var next = X509Certificate2.CreateFromPem((string)renewed["certificate"]!);
        Assert.NotEqual(device.Certificate.SerialNumber, next.SerialNumber);
        Assert.Equal(device.Certificate.PublicKey.ExportSubjectPublicKeyInfo(), next.PublicKey.ExportSubjectPublicKeyInfo());

        // Another key, or a request whose signature does not verify, gets nothing.
        using (var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            (await Silo.Anonymous.PostAsync("/api/agent/certificate", new { orgId = device.OrgId, deviceId = device.DeviceId, csr = Csr(stranger) }))
                .Problem(HttpStatusCode.Unauthorized, "unauthorized");
        }

        (await Silo.Anonymous.PostAsync("/api/agent/certificate", new { orgId = device.OrgId, deviceId = "ghost-device", csr = Csr(device.Key) }))
            .Problem(HttpStatusCode.Unauthorized, "unauthorized");

        var tampered = Convert.FromBase64String(Csr(device.Key));
        tampered[^1] ^= 1;
        (await Silo.Anonymous.PostAsync("/api/agent/certificate", new { orgId = device.OrgId, deviceId = device.DeviceId, csr = Convert.ToBase64String(tampered) }))
            .Problem(HttpStatusCode.BadRequest, "validation");

        foreach (var certificate in new[] { device.WithKey(), TestCertificates.WithKey(next, device.Key) })
        {
            var (probe, result) = await MqttProbe.ConnectWithCertificateAsync(Silo.MqttTlsPort, certificate, device.Username);
            await using (probe)
            {
                Assert.Equal(MqttClientConnectResultCode.Success, result);
            }
        }

        // Decommissioned (no agent answers the wipe): once revoked, neither certificate gets in, and no renewal either.
        (await Silo.Admin.DeleteAsync($"/api/orgs/{device.OrgId}/devices/{device.DeviceId}")).Ok();
        await Poll.UntilAsync(
            async () =>
            {
                var (probe, result) = await MqttProbe.ConnectWithCertificateAsync(Silo.MqttTlsPort, TestCertificates.WithKey(next, device.Key), device.Username);
                await probe.DisposeAsync();
                return result;
            },
            r => r == MqttClientConnectResultCode.BadUserNameOrPassword,
            "the renewed certificate refused after the revocation",
            TimeSpan.FromSeconds(120));
        var (old, refused) = await MqttProbe.ConnectWithCertificateAsync(Silo.MqttTlsPort, device.WithKey(), device.Username);
        await using (old)
        {
            Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, refused);
        }

        (await Silo.Anonymous.PostAsync("/api/agent/certificate", new { orgId = device.OrgId, deviceId = device.DeviceId, csr = Csr(device.Key) }))
            .Problem(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task An_agent_whose_certificate_expired_while_it_was_away_renews_it_on_start_and_connects_with_the_new_one()
    {
        var org = TestIds.Unique("cert-expired");
        await Silo.Admin.CreateOrgAsync(org);
        var (_, connectKey) = await Silo.Admin.CreateConnectKeyAsync(org);
        await using var agent = new FleetMfa.Testing.Agents.InProcessAgent(fixture.Workspace.NewDirectory("cert-expired"), "cert-expired");
        await agent.EnrollAsync(Silo.AgentAddress, connectKey, CancellationToken.None);
        using var issued = X509CertificateLoader.LoadCertificate(agent.Config!.MqttCertificate!.Certificate);

        // The device's clock says 31 days later: its 30-day certificate has expired. Renewal is by key, not by the
        // certificate's validity, so the agent gets a new one and goes online with it.
        var later = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(31));
        using var stop = new CancellationTokenSource();
        agent.Start(stop.Token, later);
        var renewed = await Poll.UntilAsync(
            () => Task.FromResult(agent.Store.LoadConfig()!.MqttCertificate!),
            c => !c.Certificate.AsSpan().SequenceEqual(issued.RawData),
            "the renewed certificate stored");
        using var next = X509CertificateLoader.LoadCertificate(renewed.Certificate);
        Assert.Equal(issued.PublicKey.ExportSubjectPublicKeyInfo(), next.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(renewed.ProtectedKey, agent.Config.MqttCertificate.ProtectedKey);
        var deviceId = agent.DeviceId;
        await Poll.UntilAsync(() => Silo.Admin.GetDeviceAsync(org, deviceId), d => (bool)d["online"]!, "the device online with its renewed certificate");
        Assert.Contains($"Device {org}/{deviceId} renewed its MQTT client certificate: serial {next.SerialNumber}", Silo.Output, StringComparison.Ordinal);
        await stop.CancelAsync();
    }

    [Fact]
    public async Task Openssl_sees_TLS_1_2_or_newer_and_a_broker_certificate_the_FleetMfa_CA_issued()
    {
        var device = await EnrollAsync("cert-openssl");
        var log = fixture.Workspace.NewDirectory("openssl-mqtt");
        var (cert, key) = (Path.Combine(log, "device.pem"), Path.Combine(log, "device.key"));
        await File.WriteAllTextAsync(cert, device.Certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(key, device.Key.ExportPkcs8PrivateKeyPem());
        var connect = $"127.0.0.1:{Silo.MqttTlsPort}";

        var verified = await Command.RunAsync(log, "openssl", ["s_client", "-connect", connect, "-CAfile", Silo.CaFile, "-cert", cert, "-key", key, "-verify_return_error", "-brief"]);
        var tls11 = await Command.RunAsync(log, "openssl", ["s_client", "-connect", connect, "-tls1_1", "-cert", cert, "-key", key]);
        var chain = await Command.RunAsync(log, "openssl", ["s_client", "-connect", connect, "-cert", cert, "-key", key, "-showcerts"]);

        Assert.True(verified.ExitCode == 0, verified.Output);
        Assert.Matches("Protocol version: TLSv1\\.[23]", verified.Output);
        Assert.Contains("Verification: OK", verified.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, tls11.ExitCode);
        Assert.Matches("(?m)^ *i:.*CN = FleetMfa CA [0-9a-f]{8}$", chain.Output);
    }

    [Fact]
    public async Task A_silo_as_deployed_has_no_plain_MQTT_listener_and_refuses_an_enrollment_without_a_signing_request_before_spending_the_key()
    {
        var settings = fixture.NewSiloSettings("tls-only") with { PlaintextMqtt = false };
        await using var silo = await SiloProcess.StartAsync(settings);
        var org = TestIds.Unique("tls-only");
        await silo.Admin.CreateOrgAsync(org);
        var created = (await silo.Admin.PostAsync($"/api/orgs/{org}/connect-keys", new { maxUses = 1 })).Ok(HttpStatusCode.Created);
        var key = (string)created["key"]!;

        (await silo.Anonymous.EnrollAgentAsync(key, "no-csr")).Problem(HttpStatusCode.BadRequest, "validation");

        // The one use is still there: an agent with a request enrolls with it, and is sent to the TLS port.
        await using var agent = new FleetMfa.Testing.Agents.InProcessAgent(fixture.Workspace.NewDirectory("tls-only-agent"), "tls-only");
        await agent.EnrollAsync(silo.AgentAddress, key, CancellationToken.None);
        Assert.Equal((true, silo.MqttTlsPort), (agent.Config!.Mqtt.UseTls, agent.Config.Mqtt.Port));
        Assert.NotNull(agent.Config.MqttCertificate);
        Assert.Equal(0, silo.MqttPlaintextPort);
        Assert.Contains("Embedded MQTT broker listening on", silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("plain TCP", silo.Output, StringComparison.Ordinal);
    }

    private async Task<Enrolled> EnrollAsync(string hostname)
    {
        var org = TestIds.Unique(hostname);
        await Silo.Admin.CreateOrgAsync(org);
        var (_, connectKey) = await Silo.Admin.CreateConnectKeyAsync(org);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string publicKey;
        using (var identity = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256))
        {
            publicKey = Convert.ToBase64String(identity.ExportSubjectPublicKeyInfo());
        }

        var enrolled = (await Silo.Anonymous.PostAsync(
            "/api/agent/enroll",
            new { connectKey, hostname, os = "linux", osVersion = "debian 12", publicKey, csr = Csr(key) })).Ok();
        var mqtt = enrolled["mqtt"]!;
        var certificate = X509Certificate2.CreateFromPem((string)mqtt["clientCertificate"]!["certificate"]!);
        return new Enrolled((string)enrolled["orgId"]!, (string)enrolled["deviceId"]!, mqtt, certificate, key);
    }

    private static string Csr(ECDsa key) =>
        Convert.ToBase64String(new CertificateRequest("CN=anything", key, HashAlgorithmName.SHA256).CreateSigningRequest());

    private sealed record Enrolled(string OrgId, string DeviceId, JsonNode Mqtt, X509Certificate2 Certificate, ECDsa Key)
    {
        public string Username => $"{OrgId}/{DeviceId}";

        public X509Certificate2 WithKey() => TestCertificates.WithKey(Certificate, Key);
    }
}
