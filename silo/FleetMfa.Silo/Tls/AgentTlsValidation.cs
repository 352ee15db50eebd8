using System.Security.Cryptography;
using FleetMfa.Silo.Hosting;
using Microsoft.Extensions.Options;

namespace FleetMfa.Silo.Tls;

/// <summary>
/// Checks <see cref="AgentTlsOptions"/> at start (a failure is the silo's configuration error, exit 2): a port, a
/// bind address, host names, and a CA that loads — the configured one, or the one in the data directory, created the
/// first time.
/// </summary>
public sealed class AgentTlsValidation(FleetMfaOptions host, TimeProvider time) : IValidateOptions<AgentTlsOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Port is < 1 or > 65535)
        {
            return ValidateOptionsResult.Fail("FLEETMFA_AGENT_HTTPS_PORT must be a port number (1-65535).");
        }

        if (!System.Net.IPAddress.TryParse(options.BindAddress, out _))
        {
            return ValidateOptionsResult.Fail("FleetMfa:AgentTls:BindAddress must be an IP address.");
        }

        if (options.ServerCertificateDays is < 1 or > 397)
        {
            return ValidateOptionsResult.Fail("FleetMfa:AgentTls:ServerCertificateDays must be between 1 and 397.");
        }

        if (options.DeviceCertificateDays is < 1 or > 397)
        {
            return ValidateOptionsResult.Fail("FleetMfa:AgentTls:DeviceCertificateDays must be between 1 and 397.");
        }

        foreach (var hostName in options.ConfiguredHosts())
        {
            if (!System.Net.IPAddress.TryParse(hostName, out _) && Uri.CheckHostName(hostName) != UriHostNameType.Dns)
            {
                return ValidateOptionsResult.Fail($"FLEETMFA_AGENT_TLS_HOSTS: '{hostName}' is neither a host name nor an IP address.");
            }
        }

        if (string.IsNullOrWhiteSpace(options.CaCertificatePath) && !string.IsNullOrWhiteSpace(options.CaKeyPath))
        {
            return ValidateOptionsResult.Fail("FLEETMFA_AGENT_CA_KEY is set without FLEETMFA_AGENT_CA_CERT.");
        }

        try
        {
            // Loaded, and able to issue the endpoint's certificate: a CA that cannot fails here, at start, not at the
            // first agent's handshake.
            using var ca = AgentCertificateAuthority.Load(options, host, time);
            using var server = ca.IssueServerCertificate(options.ServerNames(), time.GetUtcNow(), TimeSpan.FromDays(options.ServerCertificateDays));
            return ValidateOptionsResult.Success;
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            return ValidateOptionsResult.Fail($"The agent endpoint's CA ({Describe(options)}) cannot be used: {ex.Message}");
        }
    }

    private static string Describe(AgentTlsOptions options) =>
        string.IsNullOrWhiteSpace(options.CaCertificatePath) ? $"{KeyFiles.CaFile} in the data directory" : "FLEETMFA_AGENT_CA_CERT / FLEETMFA_AGENT_CA_KEY";
}
