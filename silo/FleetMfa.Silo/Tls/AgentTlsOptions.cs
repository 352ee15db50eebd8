namespace FleetMfa.Silo.Tls;

/// <summary>
/// The agent endpoint (<c>/api/agent/*</c>) over HTTPS (section <c>FleetMfa:AgentTls</c>; the <c>FLEETMFA_AGENT_*</c>
/// variables map onto it). Its certificate is issued by the FleetMfa CA, whose fingerprint every connect key carries.
/// </summary>
public sealed class AgentTlsOptions
{
    public const string SectionName = "FleetMfa:AgentTls";

    /// <summary>The HTTPS port agents enroll on (<c>FLEETMFA_AGENT_HTTPS_PORT</c>). Default 5443.</summary>
    public int Port { get; set; } = 5443;

    /// <summary>The address it binds to. Default <c>0.0.0.0</c>: devices reach it from the network.</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>
    /// Host names (or addresses) agents use to reach this silo, comma-separated (<c>FLEETMFA_AGENT_TLS_HOSTS</c>); each
    /// becomes a subject alternative name of the server certificate, besides <c>localhost</c>, <c>127.0.0.1</c>,
    /// <c>::1</c> and the machine's name.
    /// </summary>
    public string Hosts { get; set; } = "";

    /// <summary>
    /// A CA given by configuration (<c>FLEETMFA_AGENT_CA_CERT</c>): a PEM file with the CA certificate (and its key,
    /// unless <see cref="CaKeyPath"/> is set). Empty: the CA is generated once into <c>{DataDirectory}/ca.pem</c> (0600).
    /// </summary>
    public string CaCertificatePath { get; set; } = "";

    /// <summary>The CA's private key, PEM (<c>FLEETMFA_AGENT_CA_KEY</c>); empty: in <see cref="CaCertificatePath"/>.</summary>
    public string CaKeyPath { get; set; } = "";

    /// <summary>Days the server certificate lasts; it is reissued in memory when a third of that is left. Default 30.</summary>
    public int ServerCertificateDays { get; set; } = 30;

    /// <summary>
    /// Days a device's MQTT client certificate lasts (issued at enrollment, renewed by the agent once a third of it is
    /// left, through <c>POST /api/agent/certificate</c>). Default 30.
    /// </summary>
    public int DeviceCertificateDays { get; set; } = 30;

    /// <summary>
    /// Development only (<c>FLEETMFA_AGENT_PLAINTEXT=true</c>): also serve <c>/api/agent/*</c> on the plain HTTP port, for
    /// agents enrolled with <c>--insecure</c>. Default false: the agent routes answer 404 there.
    /// </summary>
    public bool AllowPlaintextEnrollment { get; set; }

    /// <summary>The configured <see cref="Hosts"/>.</summary>
    public IEnumerable<string> ConfiguredHosts() => Hosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Every name the server certificate carries: loopback, the machine's name (when it is a DNS name) and <see cref="Hosts"/>.</summary>
    public IEnumerable<string> ServerNames()
    {
        var machine = Environment.MachineName.ToLowerInvariant();
        return ["localhost", "127.0.0.1", "::1", .. Uri.CheckHostName(machine) == UriHostNameType.Dns ? [machine] : Array.Empty<string>(), .. ConfiguredHosts()];
    }
}
