using System.Security.Cryptography.X509Certificates;

namespace FleetMfa.Silo.Hosting;

/// <summary>A silo's own certificate (with its private key) and the cluster's certificate authority it trusts alone.</summary>
public sealed record ClusterCertificates(X509Certificate2 Certificate, X509Certificate2 Authority);
