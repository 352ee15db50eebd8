using System.Security.Cryptography;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// What every silo of one test cluster shares, set as deploy/cluster.sh sets it: Azure Table membership, one cluster id,
/// one master key, one desired-state signing key (an agent pins the key of whichever silo it enrolled through), one
/// FleetMfa CA for the agent endpoints (a connect key pins it, whichever silo made the key), and a certificate from one
/// development CA (made by deploy/cluster-certs.sh) for Orleans' mutual TLS.
/// </summary>
public static class ClusterEnvironment
{
    /// <summary>The variables for the silos of a new cluster named after <paramref name="name"/>; its certificates are in <paramref name="certificates"/>.</summary>
    public static async Task<Dictionary<string, string>> CreateAsync(TestWorkspace workspace, string name, string? certificates = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        certificates ??= await MakeCertificatesAsync(workspace.NewDirectory($"{name}-certs"), "silo");
        return new Dictionary<string, string>
        {
            ["FLEETMFA_CLUSTERING"] = "AzureTable",
            ["FLEETMFA_CLUSTER_ID"] = TestIds.Unique(name),
            ["FLEETMFA_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["FLEETMFA_SIGNING_KEY"] = FleetMfa.Protocol.Signing.DesiredStateSigner.NewPrivateKey(),
            ["FLEETMFA_CLUSTER_CERT"] = Path.Combine(certificates, "silo.pem"),
            ["FLEETMFA_CLUSTER_KEY"] = Path.Combine(certificates, "silo.key"),
            ["FLEETMFA_CLUSTER_CA"] = Path.Combine(certificates, "ca.pem"),
            ["FLEETMFA_AGENT_CA_CERT"] = WriteAgentCa(Path.Combine(certificates, "agent-ca.pem")),
        };
    }

    /// <summary>
    /// A FleetMfa CA as an operator would give one (<c>FLEETMFA_AGENT_CA_CERT</c>): a P-256 CA, certificate and key in one
    /// PEM file (0600) at <paramref name="path"/>.
    /// </summary>
    public static string WriteAgentCa(string path, string name = "Test FleetMfa CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509KeyUsageExtension(
            System.Security.Cryptography.X509Certificates.X509KeyUsageFlags.KeyCertSign | System.Security.Cryptography.X509Certificates.X509KeyUsageFlags.CrlSign, true));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
        File.WriteAllText(path, ca.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    }

    /// <summary>Runs deploy/cluster-certs.sh: the CA (<c>ca.pem</c>) and a certificate per name (<c>NAME.pem</c>, <c>NAME.key</c>) in <paramref name="directory"/>.</summary>
    public static async Task<string> MakeCertificatesAsync(string directory, params string[] names)
    {
        var script = Path.Combine(TestPaths.RepoRoot, "deploy", "cluster-certs.sh");
        await using var run = ChildProcess.Start("bash", [script, directory, .. names], TestPaths.RepoRoot, new Dictionary<string, string>(), Path.Combine(directory, "..", $"{Path.GetFileName(directory)}.log"));
        var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(1));
        Assert.True(exit == 0, $"deploy/cluster-certs.sh exited {exit}: {run.Output}");
        return directory;
    }
}
