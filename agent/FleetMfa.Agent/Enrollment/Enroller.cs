using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FleetMfa.Agent.Platform;
using FleetMfa.Agent.Store;
using FleetMfa.Protocol.Signing;
using FleetMfa.Protocol.Tls;

namespace FleetMfa.Agent.Enrollment;

/// <summary>
/// Registers this device with the control plane and stores the broker credentials (a password, and the MQTT client
/// certificate issued for a TLS key made here: <see cref="DeviceCertificates"/>) and the desired-state key (pinned:
/// the only key the daemon trusts) it gets back, with the initial applied state (version 0, MFA off) when the store
/// has none yet: an enrolled store always has a state.
/// </summary>
/// <remarks>
/// The server is trusted through the connect key alone: over <c>https://</c> the key must carry the CA fingerprint,
/// the CA the server publishes must hash to it, and the server's certificate must chain to that CA
/// (<see cref="PinnedCa"/>) before the key is sent. <c>http://</c>, or a key without a fingerprint, only with
/// <c>insecure</c> (development). <paramref name="transport"/> replaces the network in unit tests only.
/// </remarks>
public sealed class Enroller(AgentStore store, IPlatform platform, TimeProvider? time = null, HttpMessageHandler? transport = null)
{
    public async Task<AgentConfig> EnrollAsync(Uri server, string connectKey, bool insecure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(connectKey);
        var (key, pin) = Check(server, connectKey, insecure);
        X509Certificate2? ca = null;
        try
        {
            if (pin is not null && transport is null)
            {
                ca = await FetchCaAsync(server, pin, cancellationToken);
            }

            using var http = transport is not null
                ? new HttpClient(transport, disposeHandler: false)
                : new HttpClient(ca is not null ? PinnedCa.CreateHandler(ca, time) : new SocketsHttpHandler());
            http.Timeout = TimeSpan.FromSeconds(30);
            var pinned = pin is null ? null : new PinnedServerCa(pin, ca?.RawData ?? []);
            return await EnrollAsync(http, server, key, pinned, cancellationToken);
        }
        finally
        {
            ca?.Dispose();
        }
    }

    /// <summary>The key without its pin, and the pin; or why this enrollment is refused before anything is sent.</summary>
    internal static (string Key, string? Pin) Check(Uri server, string connectKey, bool insecure)
    {
        if (server.Scheme is not ("http" or "https"))
        {
            throw new EnrollmentException("--server must be an https:// URL");
        }

        if (!ConnectKeys.TrySplit(connectKey.Trim(), out var key, out var pin))
        {
            throw new EnrollmentException($"the connect key is malformed (expected KEY{ConnectKeys.PinSeparator}<64 hex digits of the CA's SHA-256>)");
        }

        if (server.Scheme == "http")
        {
            return insecure
                ? (key, null)
                : throw new EnrollmentException($"refusing to enroll over plain http:// ({server}): use the silo's https:// agent endpoint, or pass --insecure (development only: the connect key and the device's credentials travel in clear)");
        }

        if (pin is null && !insecure)
        {
            throw new EnrollmentException("the connect key carries no CA fingerprint (a key made before enrollment was pinned?): create a new connect key, or pass --insecure (development only) to trust the system's CAs instead");
        }

        return (key, pin);
    }

    private static async Task<X509Certificate2> FetchCaAsync(Uri server, string pin, CancellationToken cancellationToken)
    {
        try
        {
            return await PinnedCa.FetchAsync(server, pin, cancellationToken);
        }
        catch (CryptographicException ex)
        {
            throw new EnrollmentException($"refusing to enroll with {server}: {ex.Message}", ex);
        }
    }

    private async Task<AgentConfig> EnrollAsync(HttpClient http, Uri server, string connectKey, PinnedServerCa? serverCa, CancellationToken cancellationToken)
    {
        store.Initialize();
        using var identity = store.LoadOrCreateIdentity();
        var (tlsKey, csr) = DeviceCertificates.NewKey(store);
        var request = new EnrollRequest(
            connectKey,
            platform.Hostname(),
            platform.Os,
            platform.OsVersion(),
            Convert.ToBase64String(identity.ExportSubjectPublicKeyInfo()),
            csr);

        HttpResponseMessage response;
        try
        {
            response = await http.PostAsJsonAsync(new Uri(server, "/api/agent/enroll"), request, AgentJsonContext.Default.EnrollRequest, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.SecureConnectionError)
        {
            throw new EnrollmentException($"refusing to enroll with {server}: its TLS certificate is not one the pinned CA issued for this host ({ex.Message})", ex);
        }

        using var _ = response;
        if (!response.IsSuccessStatusCode)
        {
            var problem = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new EnrollmentException($"the server refused enrollment ({(int)response.StatusCode}): {Truncate(problem, 500)}");
        }

        var enrolled = await response.Content.ReadFromJsonAsync(AgentJsonContext.Default.EnrollResponse, cancellationToken)
            ?? throw new EnrollmentException("the server sent an empty enrollment response");
        var signingKey = Pin(enrolled.SigningKey);
        var mqtt = enrolled.Mqtt;
        var certificate = mqtt.ClientCertificate is { } sent
            ? DeviceCertificates.Accept(store, sent, tlsKey, serverCa?.Certificate, time ?? TimeProvider.System)
            : null;
        var config = new AgentConfig(
            server.ToString(),
            enrolled.OrgId,
            enrolled.DeviceId,
            new MqttEndpoint(mqtt.Host, mqtt.Port, mqtt.UseTls, mqtt.Username, mqtt.TopicPrefix),
            mqtt.Password is { Length: > 0 } password ? store.Protect(System.Text.Encoding.UTF8.GetBytes(password), MqttPasswordPurpose) : [],
            VerificationSettings.Default,
            signingKey,
            serverCa,
            certificate);
        store.SaveConfigAndInitialState(config, (time ?? TimeProvider.System).GetUtcNow());
        return config;
    }

    public const string MqttPasswordPurpose = "fleetmfa-agent/mqtt-password/v1";

    /// <summary>
    /// The control plane's desired-state key, checked before anything is stored: a P-256 public key whose id is the one
    /// given. Without one the device could never trust a desired state, so enrollment fails instead.
    /// </summary>
    private static PinnedSigningKey Pin(EnrollSigningKey? key)
    {
        if (key is not { KeyId: { Length: > 0 } keyId, PublicKey: { Length: > 0 } publicKey })
        {
            throw new EnrollmentException("the server sent no desired-state signing key (a control plane older than this agent?)");
        }

        try
        {
            var spki = Convert.FromBase64String(publicKey);
            using var verifier = new DesiredStateVerifier(keyId, spki, "-", "-");
            return new PinnedSigningKey(keyId, spki);
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
            throw new EnrollmentException("the server sent a desired-state signing key that is not a P-256 public key with its id");
        }
    }

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];
}
