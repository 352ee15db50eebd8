using FleetMfa.Silo.Hosting;

namespace FleetMfa.Silo.Tls;

/// <summary>Where the FleetMfa CA comes from: the configured PEM files, else <c>ca.pem</c> in the data directory (0600), created once.</summary>
public static class AgentCertificateAuthority
{
    public static FleetMfaCertificateAuthority Load(AgentTlsOptions options, FleetMfaOptions host, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(time);
        var now = time.GetUtcNow();
        if (!string.IsNullOrWhiteSpace(options.CaCertificatePath))
        {
            var certificate = File.ReadAllText(options.CaCertificatePath);
            var key = string.IsNullOrWhiteSpace(options.CaKeyPath) ? certificate : File.ReadAllText(options.CaKeyPath);
            return FleetMfaCertificateAuthority.FromPem(certificate, key, now);
        }

        var dataDirectory = KeyFiles.EnsureDataDirectory(host.DataDirectory);
        var pem = KeyFiles.ReadOrCreate(dataDirectory, KeyFiles.CaFile, () =>
        {
            using var created = FleetMfaCertificateAuthority.Create(now);
            return created.ExportPem();
        });
        return FleetMfaCertificateAuthority.FromPem(pem, pem, now);
    }
}
