using System.Net.Http.Json;
using System.Security.Cryptography;
using FleetMfa.Agent.Platform;
using FleetMfa.Agent.Store;
using FleetMfa.Protocol.Signing;

namespace FleetMfa.Agent.Enrollment;

/// <summary>
/// Registers this device with the control plane and stores the broker credentials and the desired-state key (pinned:
/// the only key the daemon trusts) it gets back, with the initial applied state (version 0, MFA off) when the store
/// has none yet: an enrolled store always has a state.
/// </summary>
public sealed class Enroller(AgentStore store, IPlatform platform, HttpClient http, TimeProvider? time = null)
{
    public async Task<AgentConfig> EnrollAsync(Uri server, string connectKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        store.Initialize();
        using var identity = store.LoadOrCreateIdentity();
        var request = new EnrollRequest(
            connectKey,
            platform.Hostname(),
            platform.Os,
            platform.OsVersion(),
            Convert.ToBase64String(identity.ExportSubjectPublicKeyInfo()));

        using var response = await http.PostAsJsonAsync(new Uri(server, "/api/agent/enroll"), request, AgentJsonContext.Default.EnrollRequest, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var problem = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new EnrollmentException($"the server refused enrollment ({(int)response.StatusCode}): {Truncate(problem, 500)}");
        }

        var enrolled = await response.Content.ReadFromJsonAsync(AgentJsonContext.Default.EnrollResponse, cancellationToken)
            ?? throw new EnrollmentException("the server sent an empty enrollment response");
        var signingKey = Pin(enrolled.SigningKey);
        var mqtt = enrolled.Mqtt;
        var config = new AgentConfig(
            server.ToString(),
            enrolled.OrgId,
            enrolled.DeviceId,
            new MqttEndpoint(mqtt.Host, mqtt.Port, mqtt.UseTls, mqtt.Username, mqtt.TopicPrefix),
            store.Protect(System.Text.Encoding.UTF8.GetBytes(mqtt.Password), MqttPasswordPurpose),
            VerificationSettings.Default,
            signingKey);
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
