using FleetMfa.Protocol.Tls;

namespace FleetMfa.Testing.Fleet;

/// <summary>
/// An HTTP client for a silo's agent endpoint that trusts exactly what a real agent trusts: the CA whose fingerprint
/// the connect key carries (<see cref="PinnedCa"/>). For tests and benchmarks that call <c>/api/agent/*</c> directly.
/// </summary>
public static class AgentEndpoint
{
    public static async Task<HttpClient> ConnectAsync(Uri agents, string connectKey, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agents);
        if (!ConnectKeys.TrySplit(connectKey, out _, out var pin) || pin is null)
        {
            throw new ArgumentException("The connect key carries no CA fingerprint.", nameof(connectKey));
        }

        // Not disposed here: the handler checks every handshake against it for as long as the client lives.
        var ca = await PinnedCa.FetchAsync(agents, pin, cancellationToken);
        return new HttpClient(PinnedCa.CreateHandler(ca)) { BaseAddress = agents, Timeout = timeout };
    }

    /// <summary>A client pinned to the CA of <paramref name="caPemFile"/> (a silo's <c>ca.pem</c>), no connect key needed.</summary>
    public static HttpClient FromCaFile(Uri agents, string caPemFile, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(agents);
        using var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(caPemFile);
        var publicOnly = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(ca.RawData);
        return new HttpClient(PinnedCa.CreateHandler(publicOnly)) { BaseAddress = agents, Timeout = timeout };
    }
}
