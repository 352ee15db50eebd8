using System.Security.Cryptography;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// What every silo of one test cluster shares, set as deploy/cluster.sh sets it: Azure Table membership, one cluster id,
/// one master key, one desired-state signing key (an agent pins the key of whichever silo it enrolled through), and a
/// certificate from one development CA (made by deploy/cluster-certs.sh) for Orleans' mutual TLS.
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
        };
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
