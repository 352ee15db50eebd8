using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FleetMfa.Protocol.Tls;
using FleetMfa.Silo.Hosting;
using FleetMfa.Silo.Tls;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FleetMfa.Tests.Hosting;

/// <summary>
/// The FleetMfa CA: generated once into the data directory (0600, the same CA on every start), or loaded from
/// configuration and refused at start when it is not a usable CA; its server certificate names the configured hosts,
/// chains to it under the agents' pin check, and is issued again before it expires.
/// </summary>
public sealed class AgentCertificateAuthorityTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Directory.CreateTempSubdirectory("fleetmfa-agent-ca-").FullName;
    private readonly FakeTimeProvider _time = new(Now);

    private FleetMfaOptions Host => new() { DataDirectory = Path.Combine(_directory, "data") };

    [Fact]
    public void The_CA_is_generated_once_into_the_data_directory_with_mode_0600_and_reloaded_as_the_same_CA()
    {
        using var first = AgentCertificateAuthority.Load(new AgentTlsOptions(), Host, _time);
        using var again = AgentCertificateAuthority.Load(new AgentTlsOptions(), Host, _time);

        var file = Path.Combine(Host.DataDirectory, KeyFiles.CaFile);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        Assert.Equal(first.Fingerprint, again.Fingerprint);
        Assert.Equal(CaFingerprint.Of(first.Certificate), first.Fingerprint);
        Assert.False(first.Certificate.HasPrivateKey);
        Assert.DoesNotContain(Directory.EnumerateFiles(Host.DataDirectory), f => f.EndsWith(".tmp", StringComparison.Ordinal));
        var basic = first.Certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(basic.CertificateAuthority);
        var usage = first.Certificate.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, usage.KeyUsages);
        using var publicKey = first.Certificate.GetECDsaPublicKey();
        Assert.Equal(256, publicKey?.KeySize);
    }

    [Fact]
    public void The_server_certificate_names_the_configured_hosts_and_passes_the_agents_pin_check()
    {
        using var ca = FleetMfaCertificateAuthority.Create(Now);
        var options = new AgentTlsOptions { Hosts = "fleet.example.com, 10.0.0.5" };
        using var server = ca.IssueServerCertificate(options.ServerNames(), Now, TimeSpan.FromDays(30));

        Assert.True(server.HasPrivateKey);
        Assert.True(PinnedCa.Verify(server, ca.Certificate, ca.Fingerprint, Now));
        Assert.True(server.MatchesHostname("fleet.example.com"));
        Assert.True(server.MatchesHostname("localhost"));
        Assert.True(server.MatchesHostname("10.0.0.5"));
        Assert.True(server.MatchesHostname("127.0.0.1"));
        Assert.False(server.MatchesHostname("evil.example.com"));
        Assert.False(PinnedCa.Verify(server, ca.Certificate, ca.Fingerprint, Now.AddDays(31)));
    }

    [Fact]
    public void The_server_certificate_is_issued_again_once_a_third_of_its_life_is_left()
    {
        using var ca = FleetMfaCertificateAuthority.Create(Now);
        using var certificates = new AgentServerCertificate(ca, Options.Create(new AgentTlsOptions { ServerCertificateDays = 30 }), _time);

        var first = certificates.Current();
        _time.Advance(TimeSpan.FromDays(19));
        var same = certificates.Current();
        _time.Advance(TimeSpan.FromDays(2));
        var renewed = certificates.Current();

        Assert.Same(first, same);
        Assert.NotSame(first, renewed);
        Assert.True(PinnedCa.Verify(renewed.TargetCertificate, ca.Certificate, ca.Fingerprint, _time.GetUtcNow().AddDays(25)));
    }

    [Fact]
    public void A_configured_CA_is_used_as_given()
    {
        using var made = FleetMfaCertificateAuthority.Create(Now);
        var path = Path.Combine(_directory, "given.pem");
        File.WriteAllText(path, made.ExportPem());

        using var loaded = AgentCertificateAuthority.Load(new AgentTlsOptions { CaCertificatePath = path }, Host, _time);

        Assert.Equal(made.Fingerprint, loaded.Fingerprint);
        Assert.False(File.Exists(Path.Combine(Host.DataDirectory, KeyFiles.CaFile)));
    }

    [Fact]
    public void A_configured_certificate_that_is_no_CA_is_expired_or_has_no_key_fails_validation_at_start()
    {
        using var made = FleetMfaCertificateAuthority.Create(Now);
        using var leaf = made.IssueServerCertificate(["localhost"], Now, TimeSpan.FromDays(30));
        using var leafKey = leaf.GetECDsaPrivateKey()!;
        var notCa = Write("leaf.pem", leaf.ExportCertificatePem() + "\n" + leafKey.ExportPkcs8PrivateKeyPem());
        var noKey = Write("nokey.pem", made.Certificate.ExportCertificatePem());
        var garbage = Write("garbage.pem", "not a certificate");
        var expired = Write("expired.pem", made.ExportPem());
        var validation = new AgentTlsValidation(Host, _time);

        Assert.True(validation.Validate(null, new AgentTlsOptions { CaCertificatePath = notCa }).Failed);
        Assert.True(validation.Validate(null, new AgentTlsOptions { CaCertificatePath = noKey }).Failed);
        Assert.True(validation.Validate(null, new AgentTlsOptions { CaCertificatePath = garbage }).Failed);
        Assert.True(validation.Validate(null, new AgentTlsOptions { CaCertificatePath = Path.Combine(_directory, "missing.pem") }).Failed);
        Assert.True(new AgentTlsValidation(Host, new FakeTimeProvider(Now.AddYears(11))).Validate(null, new AgentTlsOptions { CaCertificatePath = expired }).Failed);
        Assert.True(validation.Validate(null, new AgentTlsOptions { CaKeyPath = noKey }).Failed);
        Assert.True(validation.Validate(null, new AgentTlsOptions { Hosts = "bad host/name" }).Failed);
        Assert.True(validation.Validate(null, new AgentTlsOptions { Port = 0 }).Failed);
        Assert.False(validation.Validate(null, new AgentTlsOptions { CaCertificatePath = expired }).Failed);
        var failure = validation.Validate(null, new AgentTlsOptions { CaCertificatePath = notCa }).FailureMessage;
        Assert.Contains("FLEETMFA_AGENT_CA_CERT", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_CA_without_a_subject_key_identifier_issues_a_server_certificate_that_passes_the_pin_check()
    {
        // As `openssl req -x509` may make it (deploy/cluster-certs.sh's CA): no subjectKeyIdentifier extension.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Cluster CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var certificate = request.CreateSelfSigned(Now.AddDays(-1), Now.AddYears(1));
        Assert.Empty(certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>());
        using var ca = FleetMfaCertificateAuthority.FromPem(certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem(), Now);

        using var server = ca.IssueServerCertificate(new AgentTlsOptions().ServerNames(), Now, TimeSpan.FromDays(30));

        Assert.True(PinnedCa.Verify(server, ca.Certificate, ca.Fingerprint, Now));
    }

    [Fact]
    public void A_configured_RSA_CA_is_refused_at_start()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=RSA CA", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = request.CreateSelfSigned(Now.AddDays(-1), Now.AddYears(1));
        var path = Write("rsa.pem", ca.ExportCertificatePem() + "\n" + rsa.ExportPkcs8PrivateKeyPem());

        var result = new AgentTlsValidation(Host, _time).Validate(null, new AgentTlsOptions { CaCertificatePath = path });

        Assert.True(result.Failed);
        Assert.Contains("ECDSA", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_generated_CA_fails_validation_instead_of_being_replaced()
    {
        Directory.CreateDirectory(Host.DataDirectory);
        File.WriteAllText(Path.Combine(Host.DataDirectory, KeyFiles.CaFile), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

        var result = new AgentTlsValidation(Host, _time).Validate(null, new AgentTlsOptions());

        Assert.True(result.Failed);
        Assert.Contains(KeyFiles.CaFile, result.FailureMessage, StringComparison.Ordinal);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
