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
/// where that certificate — and nothing else, no password — lets it in as that device only; it renews for the same
/// key, and a decommissioned device's certificates are refused.
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
        using var forged = SelfIssued(device.Username);
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

        var tampered = Convert.FromBase64String(Csr(device.Key));
        tampered[^1] ^= 1;
        (await Silo.Anonymous.PostAsync("/api/agent/certificate", new { orgId = device.OrgId, deviceId = device.DeviceId, csr = Convert.ToBase64String(tampered) }))
            .Problem(HttpStatusCode.BadRequest, "validation");

        foreach (var certificate in new[] { device.WithKey(), WithKey(next, device.Key) })
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
                var (probe, result) = await MqttProbe.ConnectWithCertificateAsync(Silo.MqttTlsPort, WithKey(next, device.Key), device.Username);
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

    private static X509Certificate2 WithKey(X509Certificate2 certificate, ECDsa key)
    {
        using var withKey = certificate.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>A certificate for <paramref name="name"/> with client authentication, signed by a CA of its own: what a stranger can make.</summary>
    private static X509Certificate2 SelfIssued(string name)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Not FleetMfa", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), [1, 2, 3, 4]);
        return WithKey(issued, key);
    }

    private sealed record Enrolled(string OrgId, string DeviceId, JsonNode Mqtt, X509Certificate2 Certificate, ECDsa Key)
    {
        public string Username => $"{OrgId}/{DeviceId}";

        public X509Certificate2 WithKey() => DeviceCertificateTests.WithKey(Certificate, Key);
    }
}
