namespace FleetMfa.Silo.Hosting;

/// <summary>Orleans clustering (section <c>FleetMfa:Cluster</c>).</summary>
public sealed class FleetClusterOptions
{
    public const string SectionName = "FleetMfa:Cluster";

    /// <summary>Stable across deployments: grain state and reminders are keyed by it.</summary>
    public const string ServiceId = "fleetmfa";

    public ClusteringMode Mode { get; set; } = ClusteringMode.Localhost;

    public string ClusterId { get; set; } = "fleetmfa";

    /// <summary>Silo-to-silo port (Orleans default 11111).</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port (Orleans default 30000).</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// With <see cref="ClusteringMode.AzureTable"/>: the address or host name other silos reach this one on (it then
    /// listens on every interface). Unset: loopback, for silos sharing one machine. <see cref="ClusteringMode.Kubernetes"/>
    /// takes the pod's IP instead.
    /// </summary>
    public string? AdvertisedHost { get; set; }

    /// <summary>The silo's PEM certificate for mutual TLS between silos and clients (any mode but <see cref="ClusteringMode.Localhost"/>).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key of <see cref="CertificatePath"/>.</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>The cluster's CA certificate (PEM): the only issuer a silo or client certificate is accepted from.</summary>
    public string? AuthorityPath { get; set; }
}
