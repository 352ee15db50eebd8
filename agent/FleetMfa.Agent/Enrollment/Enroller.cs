using System.Net.Http.Json;
using FleetMfa.Agent.Platform;
using FleetMfa.Agent.Store;

namespace FleetMfa.Agent.Enrollment;

/// <summary>
/// Registers this device with the control plane and stores the broker credentials it gets back, with the initial
/// applied state (version 0, MFA off) when the store has none yet: an enrolled store always has a state.
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
        var mqtt = enrolled.Mqtt;
        var config = new AgentConfig(
            server.ToString(),
            enrolled.OrgId,
            enrolled.DeviceId,
            new MqttEndpoint(mqtt.Host, mqtt.Port, mqtt.UseTls, mqtt.Username, mqtt.TopicPrefix),
            store.Protect(System.Text.Encoding.UTF8.GetBytes(mqtt.Password), MqttPasswordPurpose),
            VerificationSettings.Default);
        store.SaveConfigAndInitialState(config, (time ?? TimeProvider.System).GetUtcNow());
        return config;
    }

    public const string MqttPasswordPurpose = "fleetmfa-agent/mqtt-password/v1";

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];
}
