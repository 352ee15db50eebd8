namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>How to start one silo process. Two silos given the same <see cref="DataDirectory"/> share the admin and master keys.</summary>
public sealed record SiloSettings(string Name, string Storage, string DataDirectory, string LogDirectory)
{
    /// <summary>Passed as <c>FLEETMFA_ADMIN_KEY</c>; when null the silo generates <c>admin.key</c> in the data dir.</summary>
    public string? AdminKey { get; init; }

    /// <summary>A fixed <c>FLEETMFA_HTTP_PORT</c> (e.g. one the test holds open); a free port when null.</summary>
    public int? HttpPort { get; init; }

    /// <summary>A fixed <c>FLEETMFA_AGENT_HTTPS_PORT</c>; a free port when null.</summary>
    public int? AgentPort { get; init; }

    /// <summary>A fixed <c>FLEETMFA_MQTT_PLAINTEXT_PORT</c> (the embedded broker's password listener the tests' probes use); a free port when null.</summary>
    public int? MqttPlaintextPort { get; init; }

    /// <summary>A fixed <c>FLEETMFA_MQTT_PORT</c> (the embedded broker's TLS port, where agents connect with their certificates); a free port when null.</summary>
    public int? MqttTlsPort { get; init; }

    /// <summary>
    /// Whether the embedded broker opens its plain password listener for the tests' probes (default true); false: a
    /// silo as deployed, TLS only.
    /// </summary>
    public bool PlaintextMqtt { get; init; } = true;

    /// <summary>Both embedded broker ports fixed, so agents reconnect to the same silo after a restart.</summary>
    public SiloSettings WithFixedMqttPorts() => this with { MqttPlaintextPort = FreePorts.Next(), MqttTlsPort = FreePorts.Next() };

    /// <summary>Extra variables, e.g. <c>ASPNETCORE_ENVIRONMENT</c> and <c>FleetMfa__Testing__ClockOffset</c>.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The same silo against <paramref name="broker"/> instead of its embedded broker, configured as deploy/lib.sh does;
    /// in a cluster, as the <paramref name="silo"/>-th silo (1-based) with its own bridge account, as deploy/cluster.sh does.
    /// </summary>
    public SiloSettings WithMosquitto(MosquittoBroker broker, int silo = 1)
    {
        ArgumentNullException.ThrowIfNull(broker);
        var environment = new Dictionary<string, string>(Environment);
        foreach (var (key, value) in broker.SiloEnvironmentFor(silo))
        {
            environment[key] = value;
        }

        return this with { Environment = environment };
    }

    /// <summary>The same silo started "eight days later": Development environment with a shifted grain clock.</summary>
    public SiloSettings WithClockOffset(TimeSpan offset) => this with
    {
        Environment = new Dictionary<string, string>(Environment)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["FleetMfa__Testing__ClockOffset"] = offset.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        },
    };
}
