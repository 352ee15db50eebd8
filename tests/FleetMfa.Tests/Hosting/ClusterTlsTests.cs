using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FleetMfa.Silo.Hosting;

namespace FleetMfa.Tests.Hosting;

/// <summary>
/// The one check a cluster connection passes (<see cref="ClusterTls.IssuedBy"/>) and the start-up refusal
/// (<see cref="ClusterTls.Load"/>), with certificates made here: only a certificate the cluster's own CA issued, valid
/// now and for both TLS ends, is accepted; a machine's public roots, another CA, an expired or a server-only certificate
/// are not. A silo that clusters without a complete, valid set gets an error instead of certificates.
/// </summary>
public sealed class ClusterTlsTests : IDisposable
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    private readonly string _directory = Directory.CreateTempSubdirectory("fleetmfa-cluster-tls-").FullName;
    private readonly X509Certificate2 _authority = Authority("cluster CA");

    [Fact]
    public void A_certificate_of_the_cluster_CA_for_both_ends_is_accepted()
    {
        using var silo = Issue(_authority, "silo", ServerAuth, ClientAuth);
        Assert.True(ClusterTls.IssuedBy(silo, _authority));
    }

    [Fact]
    public void No_certificate_another_CAs_certificate_and_the_CA_itself_are_refused()
    {
        using var other = Authority("other CA");
        using var foreign = Issue(other, "silo", ServerAuth, ClientAuth);

        Assert.False(ClusterTls.IssuedBy(null, _authority));
        Assert.False(ClusterTls.IssuedBy(foreign, _authority));
        Assert.False(ClusterTls.IssuedBy(other, _authority));
    }

    [Fact]
    public void A_certificate_for_one_end_only_or_out_of_its_validity_is_refused()
    {
        using var serverOnly = Issue(_authority, "silo", ServerAuth);
        using var expired = Issue(_authority, "silo", DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1), ServerAuth, ClientAuth);
        using var notYet = Issue(_authority, "silo", DateTimeOffset.UtcNow.AddDays(1), DateTimeOffset.UtcNow.AddDays(10), ServerAuth, ClientAuth);

        Assert.False(ClusterTls.IssuedBy(serverOnly, _authority));
        Assert.False(ClusterTls.IssuedBy(expired, _authority));
        Assert.False(ClusterTls.IssuedBy(notYet, _authority));
    }

    [Fact]
    public void Localhost_needs_no_certificates()
    {
        Assert.Null(ClusterTls.Load(new FleetClusterOptions { Mode = ClusteringMode.Localhost }, out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData(ClusteringMode.AzureTable)]
    [InlineData(ClusteringMode.Kubernetes)]
    public void Clustering_without_all_three_files_is_an_error_naming_the_variables(ClusteringMode mode)
    {
        var options = Write(_authority, "silo");
        options.Mode = mode;
        options.AuthorityPath = null;

        Assert.Null(ClusterTls.Load(options, out var error));
        Assert.Contains("FLEETMFA_CLUSTER_CA", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_complete_set_loads_with_its_private_key()
    {
        var options = Write(_authority, "silo");

        var certificates = ClusterTls.Load(options, out var error);

        Assert.Null(error);
        Assert.NotNull(certificates);
        Assert.True(certificates.Certificate.HasPrivateKey);
        Assert.Equal(_authority.RawData, certificates.Authority.RawData);
    }

    [Fact]
    public void A_silo_certificate_another_CA_issued_or_an_unreadable_file_is_an_error()
    {
        using var other = Authority("other CA");
        var foreign = Write(other, "foreign");
        foreign.AuthorityPath = Path.Combine(_directory, "ca.pem");
        File.WriteAllText(foreign.AuthorityPath, _authority.ExportCertificatePem());

        Assert.Null(ClusterTls.Load(foreign, out var error));
        Assert.Contains("not valid under the cluster CA", error, StringComparison.Ordinal);

        var truncated = Write(_authority, "truncated");
        File.WriteAllText(truncated.CertificateKeyPath!, "-----BEGIN PRIVATE KEY-----\nAAAA\n");
        Assert.Null(ClusterTls.Load(truncated, out error));
        Assert.Contains("cannot be read", error, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _authority.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static X509Certificate2 Authority(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddYears(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, string name, params string[] usages) =>
        Issue(authority, name, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30), usages);

    private static X509Certificate2 Issue(X509Certificate2 authority, string name, DateTimeOffset notBefore, DateTimeOffset notAfter, params string[] usages)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var oids = new OidCollection();
        foreach (var usage in usages)
        {
            oids.Add(new Oid(usage));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        using var issued = request.Create(authority, notBefore, notAfter, RandomNumberGenerator.GetBytes(16));
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>A silo certificate <paramref name="authority"/> issued, its key and the authority as PEM files, and options naming them.</summary>
    private FleetClusterOptions Write(X509Certificate2 authority, string name)
    {
        using var certificate = Issue(authority, name, ServerAuth, ClientAuth);
        var options = new FleetClusterOptions
        {
            Mode = ClusteringMode.AzureTable,
            CertificatePath = Path.Combine(_directory, $"{name}.pem"),
            CertificateKeyPath = Path.Combine(_directory, $"{name}.key"),
            AuthorityPath = Path.Combine(_directory, $"{name}-ca.pem"),
        };
        File.WriteAllText(options.CertificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(options.CertificateKeyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(options.AuthorityPath, authority.ExportCertificatePem());
        return options;
    }
}
