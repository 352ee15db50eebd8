using FleetMfa.Silo.Hosting;
using YamlDotNet.RepresentationModel;

namespace FleetMfa.Tests.Packaging;

/// <summary>
/// deploy/compose/compose.yaml, parsed (Docker is not available here to run it): the services, the variables the
/// silo really reads, one bridge account per silo, Mosquitto over TLS with the silos' CA and revocation files, and
/// files that exist.
/// </summary>
public sealed class ComposeFileTests
{
    private static readonly string ComposeDirectory = DeployFiles.PathOf("compose");
    private static readonly YamlMappingNode Compose = DeployFiles.LoadDocuments(Path.Combine(ComposeDirectory, "compose.yaml")).Single();

    private static Dictionary<string, YamlNode> Services => Compose.Entries("services").ToDictionary(e => e.Key, e => e.Value);

    [Fact]
    public void It_runs_azurite_mosquitto_two_silos_and_several_agents()
    {
        Assert.Contains("mcr.microsoft.com/azure-storage/azurite:", Services["azurite"].Scalar("image"), StringComparison.Ordinal);
        Assert.Equal("fleetmfa-mosquitto:local", Services["mosquitto"].Scalar("image"));
        Assert.Equal(["silo1", "silo2"], Silos().Select(s => s.Name));
        Assert.True(Services.Keys.Count(k => k.StartsWith("agent", StringComparison.Ordinal)) >= 3);
    }

    [Fact]
    public void Mosquitto_and_its_init_run_the_image_built_with_the_rate_limit_plugin()
    {
        // The stock eclipse-mosquitto image has no fleetmfa_limits.so, and the config does not start without it.
        foreach (var name in new[] { "mosquitto-init", "mosquitto" })
        {
            Assert.Equal("fleetmfa-mosquitto:local", Services[name].Scalar("image"));
            Assert.Equal("deploy/docker/mosquitto.Dockerfile", Services[name].Scalar("build", "dockerfile"));
            Assert.Equal("../..", Services[name].Scalar("build", "context"));
        }
    }

    [Fact]
    public void The_azurite_image_is_the_version_deploy_up_sh_pins()
    {
        var pinned = System.Text.Json.JsonDocument.Parse(File.ReadAllText(DeployFiles.PathOf("package.json")))
            .RootElement.GetProperty("dependencies").GetProperty("azurite").GetString();

        Assert.EndsWith($":{pinned}", Services["azurite"].Scalar("image"), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_FLEETMFA_variable_given_to_a_silo_is_one_the_silo_reads()
    {
        foreach (var (name, environment) in Silos())
        {
            var unknown = environment.Keys.Where(k => k.StartsWith("FLEETMFA_", StringComparison.Ordinal) && !EnvironmentVariables.Names.Contains(k));
            Assert.True(!unknown.Any(), $"{name} sets variables the silo ignores: {string.Join(", ", unknown)}");
        }
    }

    [Fact]
    public void The_silos_form_one_azure_table_cluster_each_on_its_own_address_and_bridge_account()
    {
        var silos = Silos();
        foreach (var (_, environment) in silos)
        {
            Assert.Equal("AzureTable", environment["FLEETMFA_CLUSTERING"]);
            Assert.Equal("external", environment["FLEETMFA_MOSQUITTO_RELOAD"]);
            Assert.Equal("mqtts://mosquitto:8883", environment["FLEETMFA_BROKER"]);
            Assert.Contains("TableEndpoint=http://azurite:10002/", environment["FLEETMFA_STORAGE"], StringComparison.Ordinal);
        }

        Assert.Single(silos.Select(s => s.Environment["FLEETMFA_CLUSTER_ID"]).Distinct());
        Assert.Equal(silos.Select(s => s.Name), silos.Select(s => s.Environment["FLEETMFA_SILO_ADDRESS"]));
        var bridges = silos.Select(s => s.Environment["FLEETMFA_BROKER_USERNAME"]).ToList();
        Assert.Equal(bridges.Count, bridges.Distinct().Count());

        // Client id = username on Mosquitto: every silo's account must be created by mosquitto-init.
        var created = Services["mosquitto-init"].Scalar("environment", "FLEETMFA_BRIDGE_ACCOUNTS")!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(bridges.Order(), created.Order());
    }

    [Fact]
    public void Keys_come_from_the_operator_environment_and_are_never_written_into_the_file()
    {
        foreach (var (name, environment) in Silos())
        {
            foreach (var key in new[] { "FLEETMFA_ADMIN_KEY", "FLEETMFA_MASTER_KEY", "FLEETMFA_SIGNING_KEY" })
            {
                Assert.Matches(@"^\$\{[A-Z_]+:\?", environment[key]);
            }
        }
    }

    [Fact]
    public void Mosquitto_runs_over_tls_with_the_silos_ca_and_no_password_anywhere()
    {
        // No bridge password, no password file: devices and bridges log in with certificates of the FleetMfa CA.
        var text = File.ReadAllText(Path.Combine(ComposeDirectory, "compose.yaml"));
        Assert.DoesNotContain("PASSWORD", text, StringComparison.Ordinal);
        Assert.DoesNotContain("passwd", text, StringComparison.Ordinal);

        // The init gives the broker the CA the silos are handed (the same file on the host), and a certificate for the
        // name agents are told and the silos dial.
        var init = EnvironmentOf("mosquitto-init");
        Assert.Equal(["sh", "/fleetmfa/init-broker.sh"], Services["mosquitto-init"].Items("entrypoint").Select(e => ((YamlScalarNode)e).Value));
        Assert.Contains($"{CertificatesOnTheHost}:/host-certs:ro", Inherited("mosquitto-init", "volumes"));
        Assert.Equal("/host-certs/fleetmfa-ca.pem", init["FLEETMFA_AGENT_CA_CERT"]);
        Assert.Contains("fleetmfa-ca.pem", Services["cluster-tls"].Items("entrypoint").Select(e => ((YamlScalarNode)e).Value!).Last(), StringComparison.Ordinal);
        Assert.Contains($"deploy/mosquitto/make-tls.sh deploy/compose/{CertificatesOnTheHost[2..]}/fleetmfa-ca.pem", text, StringComparison.Ordinal);
        foreach (var (_, environment) in Silos())
        {
            Assert.Equal("/etc/fleetmfa/cluster/fleetmfa-ca.pem", environment["FLEETMFA_AGENT_CA_CERT"]);
            Assert.Contains(environment["FLEETMFA_MQTT_ADVERTISED_HOST"], init["MOSQUITTO_TLS_HOSTS"].Split(' ', ','));
            Assert.Contains(new Uri(environment["FLEETMFA_BROKER"]).Host, init["MOSQUITTO_TLS_HOSTS"].Split(' ', ','));
        }

        Assert.Equal(["127.0.0.1:8883:8883"], Inherited("mosquitto", "ports"));
    }

    [Fact]
    public void The_silos_keep_the_revocation_files_on_a_volume_the_broker_reads_and_its_watcher_reloads_on()
    {
        var revocation = "mosquitto-revocation";
        var init = EnvironmentOf("mosquitto-init");
        var initDirectory = MountPoint("mosquitto-init", revocation);
        Assert.Equal(initDirectory, init["MOSQUITTO_REVOCATION_DIR"]);

        // The broker only reads them; the silos, in its group, replace them; nobody else shares its data volume.
        Assert.Contains($"{revocation}:{MountPoint("mosquitto", revocation)}:ro", Inherited("mosquitto", "volumes"));
        var watched = Services["mosquitto"].Items("entrypoint").Select(e => ((YamlScalarNode)e).Value!).Last();
        foreach (var (name, environment) in Silos())
        {
            var mount = MountPoint(name, revocation);
            Assert.Contains($"{revocation}:{mount}", Inherited(name, "volumes"));
            Assert.Equal($"{mount}/crl.pem", environment["FLEETMFA_MOSQUITTO_CRL_FILE"]);
            Assert.Equal($"{mount}/revoked", environment["FLEETMFA_MOSQUITTO_REVOKED_FILE"]);
            Assert.False(environment.ContainsKey("FLEETMFA_MOSQUITTO_PID_FILE"), $"{name}: the watcher reloads the broker, not the silo");
            Assert.DoesNotContain(Inherited(name, "volumes"), v => v.StartsWith("mosquitto-data:", StringComparison.Ordinal));
            Assert.Equal(["1883"], Inherited(name, "group_add"));
        }

        // The watcher reloads the broker whose pid file the config names when either file changes.
        var mosquittoMount = MountPoint("mosquitto", revocation);
        Assert.Contains($"reload-on-change.sh /mosquitto/data/mosquitto.pid {mosquittoMount}/crl.pem {mosquittoMount}/revoked &", watched, StringComparison.Ordinal);
        Assert.Equal("/mosquitto/data", init["MOSQUITTO_DIR"]);
    }

    [Fact]
    public void Published_ports_are_bound_to_loopback_only()
    {
        var published = Services.Values.SelectMany(s => s.Items("ports")).Select(p => ((YamlScalarNode)p).Value!).ToList();
        Assert.NotEmpty(published);
        Assert.All(published, p => Assert.StartsWith("127.0.0.1:", p, StringComparison.Ordinal));
    }

    [Fact]
    public void Build_contexts_dockerfiles_and_mounted_files_exist()
    {
        foreach (var (name, service) in Services)
        {
            if (service.Scalar("build", "context") is { } context)
            {
                var root = Path.GetFullPath(Path.Combine(ComposeDirectory, context));
                Assert.True(File.Exists(Path.Combine(root, service.Scalar("build", "dockerfile")!)), $"{name}: dockerfile");
            }

            foreach (var volume in service.Items("volumes").Select(v => ((YamlScalarNode)v).Value!))
            {
                var source = volume.Split(':')[0];
                if (source == CertificatesOnTheHost)
                {
                    // Made by the command the header gives, never committed.
                    Assert.Contains($"deploy/cluster-certs.sh deploy/compose/{source[2..]} silo", File.ReadAllText(Path.Combine(ComposeDirectory, "compose.yaml")), StringComparison.Ordinal);
                }
                else if (source.StartsWith('.'))
                {
                    var path = Path.GetFullPath(Path.Combine(ComposeDirectory, source));
                    Assert.True(File.Exists(path) || Directory.Exists(path), $"{name} mounts {source}, which does not exist");
                }
            }
        }
    }

    [Fact]
    public void The_silos_talk_orleans_over_mutual_tls_with_the_certificates_handed_to_them_read_only()
    {
        var handOver = Services["cluster-tls"];
        Assert.Contains($"{CertificatesOnTheHost}:/host-certs:ro", handOver.Items("volumes").Select(v => ((YamlScalarNode)v).Value));
        Assert.Contains("cluster-tls:/certs", handOver.Items("volumes").Select(v => ((YamlScalarNode)v).Value));
        Assert.Equal("none", handOver.Scalar("network_mode"));

        foreach (var (name, environment) in Silos())
        {
            Assert.Equal("/etc/fleetmfa/cluster/silo.pem", environment["FLEETMFA_CLUSTER_CERT"]);
            Assert.Equal("/etc/fleetmfa/cluster/silo.key", environment["FLEETMFA_CLUSTER_KEY"]);
            Assert.Equal("/etc/fleetmfa/cluster/ca.pem", environment["FLEETMFA_CLUSTER_CA"]);
            Assert.Contains("cluster-tls:/etc/fleetmfa/cluster:ro", Inherited(name, "volumes"));
        }

        // A silo starts only once the hand-over succeeded; without certificates it would refuse to start anyway (exit 2).
        Assert.Equal("service_completed_successfully", Services["silo1"].Scalar("depends_on", "cluster-tls", "condition"));
    }

    [Fact]
    public void Agents_are_kept_off_the_silos_network_and_reach_them_through_an_edge_that_passes_the_agent_endpoint_alone()
    {
        var agents = Services.Keys.Where(k => k.StartsWith("agent", StringComparison.Ordinal)).ToList();
        var silos = Silos().Select(s => s.Name).ToList();
        foreach (var agent in agents)
        {
            Assert.Equal(["devices"], Inherited(agent, "networks"));
            Assert.Equal("https://edge:8443", EnvironmentOf(agent)["FLEETMFA_SERVER"]);
        }

        foreach (var silo in silos)
        {
            Assert.Equal(["cluster"], Inherited(silo, "networks"));
        }

        // The silos believe the edge's X-Forwarded-For (the agents' own addresses count for the rate limits) and no one else's.
        var edgeAddress = Services["edge"].Scalar("networks", "cluster", "ipv4_address");
        Assert.All(Silos(), s => Assert.Equal(edgeAddress, s.Environment["FLEETMFA_TRUSTED_PROXIES"]));

        // Whatever shares the agents' network is the broker or the edge; nothing else.
        var onDevices = Services.Keys.Where(k => Networks(k).Contains("devices")).Except(agents).Order();
        Assert.Equal(["edge", "mosquitto"], onDevices);

        // The edge passes TLS through to the silos' agent endpoint, whose certificate names it, and to nothing else.
        Assert.All(Silos(), s => Assert.Equal("edge", s.Environment["FLEETMFA_AGENT_TLS_HOSTS"]));
        var edge = File.ReadAllText(Path.Combine(ComposeDirectory, "edge.conf"));
        var upstreams = System.Text.RegularExpressions.Regex.Matches(edge, @"^\s*server\s+([^;\s]+);", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).Order();
        Assert.Equal(silos.Select(s => $"{s}:5443"), upstreams);
    }

    private const string CertificatesOnTheHost = "./.certs";

    /// <summary>Where <paramref name="service"/> mounts the named volume <paramref name="volume"/>.</summary>
    private static string MountPoint(string service, string volume) =>
        Inherited(service, "volumes").Select(v => v.Split(':')).Single(parts => parts[0] == volume)[1];

    /// <summary>The networks a service joins, listed or mapped (<c>networks: {cluster: {ipv4_address: ...}}</c>).</summary>
    private static List<string> Networks(string service) =>
        Services[service].Get("networks") is YamlMappingNode mapping ? [.. mapping.Children.Keys.Select(k => ((YamlScalarNode)k).Value!)] : Inherited(service, "networks");

    /// <summary>A service's list under <paramref name="key"/>, <c>extends</c> resolved.</summary>
    private static List<string> Inherited(string service, string key)
    {
        var node = Services[service];
        var own = node.Items(key).Select(v => ((YamlScalarNode)v).Value!).ToList();
        return own.Count > 0 || node.Scalar("extends") is not { } parent ? own : Inherited(parent, key);
    }

    /// <summary>The silo services with their environment, <c>extends</c> resolved (silo2 extends silo1).</summary>
    private static List<(string Name, Dictionary<string, string> Environment)> Silos() =>
        [.. Services.Keys.Where(k => k.StartsWith("silo", StringComparison.Ordinal)).Order().Select(name => (name, EnvironmentOf(name)))];

    private static Dictionary<string, string> EnvironmentOf(string service)
    {
        var node = Services[service];
        var environment = node.Scalar("extends") is { } parent ? EnvironmentOf(parent) : [];
        foreach (var (key, value) in node.Entries("environment"))
        {
            environment[key] = ((YamlScalarNode)value).Value!;
        }

        return environment;
    }
}
