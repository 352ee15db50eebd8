using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace FleetMfa.Silo.Hosting;

/// <summary>
/// Mutual TLS on every Orleans connection — silo to silo and client to gateway — whenever the cluster is more than one
/// process on loopback (<see cref="ClusteringMode"/> other than <see cref="ClusteringMode.Localhost"/>). Each side shows
/// a certificate issued by the cluster's own certificate authority and accepts only a peer whose chain ends at that
/// authority: the public roots of the machine are never trusted, so a certificate from anywhere else, or none, is
/// refused before a single Orleans message is read. Without usable certificates such a silo does not start.
/// </summary>
public static class ClusterTls
{
    /// <summary>
    /// The certificates <paramref name="cluster"/> names, or null with <paramref name="error"/> saying what is missing or
    /// unusable; null without an error for <see cref="ClusteringMode.Localhost"/>, which needs none.
    /// </summary>
    public static ClusterCertificates? Load(FleetClusterOptions cluster, out string? error)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        error = null;
        if (cluster.Mode == ClusteringMode.Localhost)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(cluster.CertificatePath) || string.IsNullOrWhiteSpace(cluster.CertificateKeyPath) || string.IsNullOrWhiteSpace(cluster.AuthorityPath))
        {
            error = $"Clustering {cluster.Mode} runs Orleans over mutual TLS: set FLEETMFA_CLUSTER_CERT, FLEETMFA_CLUSTER_KEY and FLEETMFA_CLUSTER_CA " +
                "to the silo's PEM certificate, its private key and the cluster's CA certificate (deploy/cluster-certs.sh makes a development set).";
            return null;
        }

        try
        {
            var certificate = X509Certificate2.CreateFromPemFile(cluster.CertificatePath, cluster.CertificateKeyPath);
            var authority = X509CertificateLoader.LoadCertificateFromFile(cluster.AuthorityPath);
            if (!IssuedBy(certificate, authority))
            {
                error = $"The cluster certificate {cluster.CertificatePath} is not valid under the cluster CA {cluster.AuthorityPath} (issuer, validity or key usage).";
                return null;
            }

            return new ClusterCertificates(certificate, authority);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            error = $"The cluster certificates cannot be read ({ex.GetType().Name}: {ex.Message}).";
            return null;
        }
    }

    /// <summary>Both directions require a certificate, and only one issued by the cluster's authority is accepted.</summary>
    public static void Configure(TlsOptions options, ClusterCertificates certificates)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(certificates);
        options.LocalCertificate = certificates.Certificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;

        // The platform's verdict (which knows nothing of this authority, and compares host names silos do not use) is
        // replaced by the one check that matters here: the chain ends at the cluster's own authority.
        options.RemoteCertificateValidation = (certificate, _, _) => IssuedBy(certificate, certificates.Authority);
    }

    /// <summary>Whether <paramref name="certificate"/> chains, now, to <paramref name="authority"/> and no other root, for TLS client and server use.</summary>
    public static bool IssuedBy(X509Certificate2? certificate, X509Certificate2 authority)
    {
        ArgumentNullException.ThrowIfNull(authority);
        if (certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1")); // serverAuth
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2")); // clientAuth
        return chain.Build(certificate) && chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(authority.RawData);
    }
}
