using Microsoft.Extensions.Configuration.Memory;

namespace FleetMfa.Silo.Hosting;

/// <summary>Maps the documented <c>FLEETMFA_*</c> variables onto configuration keys, so scripts and the silo agree.</summary>
public static class EnvironmentVariables
{
    private static readonly (string Variable, string Key)[] Map =
    [
        ("FLEETMFA_DATA", "FleetMfa:DataDirectory"),
        ("FLEETMFA_ADMIN_KEY", "FleetMfa:AdminKey"),
        ("FLEETMFA_MASTER_KEY", "FleetMfa:SecretProtection:MasterKey"),
        ("FLEETMFA_SIGNING_KEY", "FleetMfa:Signing:PrivateKey"),
        ("FLEETMFA_SIGNING_KEY_PREVIOUS", "FleetMfa:Signing:PreviousPrivateKey"),
        ("FLEETMFA_STORAGE", "FleetMfa:Storage:ConnectionString"),
        ("FLEETMFA_CLUSTERING", "FleetMfa:Cluster:Mode"),
        ("FLEETMFA_CLUSTER_ID", "FleetMfa:Cluster:ClusterId"),
        ("FLEETMFA_SILO_PORT", "FleetMfa:Cluster:SiloPort"),
        ("FLEETMFA_GATEWAY_PORT", "FleetMfa:Cluster:GatewayPort"),
        ("FLEETMFA_SILO_ADDRESS", "FleetMfa:Cluster:AdvertisedHost"),
        ("FLEETMFA_CLUSTER_CERT", "FleetMfa:Cluster:CertificatePath"),
        ("FLEETMFA_CLUSTER_KEY", "FleetMfa:Cluster:CertificateKeyPath"),
        ("FLEETMFA_CLUSTER_CA", "FleetMfa:Cluster:AuthorityPath"),
        ("FLEETMFA_BROKER", "FleetMfa:Mqtt:Broker"),
        ("FLEETMFA_MQTT_PORT", "FleetMfa:Mqtt:Port"),
        ("FLEETMFA_MQTT_PLAINTEXT_PORT", "FleetMfa:Mqtt:PlaintextPort"),
        ("FLEETMFA_MQTT_ADVERTISED_HOST", "FleetMfa:Mqtt:AdvertisedHost"),
        ("FLEETMFA_BROKER_USERNAME", "FleetMfa:Mqtt:BridgeUsername"),
        ("FLEETMFA_BROKER_PASSWORD", "FleetMfa:Mqtt:BridgePassword"),
        ("FLEETMFA_MOSQUITTO_PASSWORD_FILE", "FleetMfa:Mosquitto:PasswordFile"),
        ("FLEETMFA_MOSQUITTO_PID_FILE", "FleetMfa:Mosquitto:PidFile"),
        ("FLEETMFA_MOSQUITTO_CRL_FILE", "FleetMfa:Mosquitto:CrlFile"),
        ("FLEETMFA_MOSQUITTO_REVOKED_FILE", "FleetMfa:Mosquitto:RevokedFile"),
        ("FLEETMFA_MOSQUITTO_RELOAD", "FleetMfa:Mosquitto:Reload"),
        ("FLEETMFA_RATE_LIMIT_ADDRESS", "FleetMfa:RateLimits:AddressRequestsPerMinute"),
        ("FLEETMFA_RATE_LIMIT_KEY", "FleetMfa:RateLimits:KeyRequestsPerMinute"),
        ("FLEETMFA_RATE_LIMIT_FAILURES", "FleetMfa:RateLimits:FailuresPerMinute"),
        ("FLEETMFA_TRUSTED_PROXIES", "FleetMfa:RateLimits:TrustedProxies"),
        ("FLEETMFA_AGENT_HTTPS_PORT", "FleetMfa:AgentTls:Port"),
        ("FLEETMFA_AGENT_HTTPS_ADDRESS", "FleetMfa:AgentTls:BindAddress"),
        ("FLEETMFA_AGENT_TLS_HOSTS", "FleetMfa:AgentTls:Hosts"),
        ("FLEETMFA_AGENT_CA_CERT", "FleetMfa:AgentTls:CaCertificatePath"),
        ("FLEETMFA_AGENT_CA_KEY", "FleetMfa:AgentTls:CaKeyPath"),
        ("FLEETMFA_AGENT_PLAINTEXT", "FleetMfa:AgentTls:AllowPlaintextEnrollment"),
    ];

    /// <summary>Every variable the silo reads: the map above plus <c>FLEETMFA_HTTP_PORT</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Map.Select(m => m.Variable), "FLEETMFA_HTTP_PORT"];

    /// <summary>Adds the variables with the lowest precedence: appsettings, <c>ASPNETCORE_URLS</c> and the command line still win.</summary>
    public static IConfigurationBuilder AddFleetEnvironmentVariables(this IConfigurationBuilder configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var values = new Dictionary<string, string?>();
        foreach (var (variable, key) in Map)
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
            {
                values[key] = value;
            }
        }

        if (Environment.GetEnvironmentVariable("FLEETMFA_HTTP_PORT") is { Length: > 0 } port)
        {
            values["urls"] = $"http://127.0.0.1:{port}";
        }

        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = values });
        return configuration;
    }
}
