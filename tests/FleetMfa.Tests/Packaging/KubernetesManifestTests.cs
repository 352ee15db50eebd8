using FleetMfa.Silo.Hosting;
using YamlDotNet.RepresentationModel;

namespace FleetMfa.Tests.Packaging;

/// <summary>
/// deploy/k8s/*.yaml, parsed (no cluster here to apply them to): Orleans' Kubernetes hosting gets what it reads (pod
/// name, namespace and IP, matching orleans/* labels, RBAC on pods), secrets come from a Secret, probes hit /healthz,
/// Services and the PodDisruptionBudget select the silo pods, and every silo has its own broker account on a Mosquitto
/// that runs over TLS with the silos' CA, with no password anywhere and revocation files the silos keep.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly List<YamlMappingNode> Manifests =
        [.. Directory.GetFiles(DeployFiles.PathOf("k8s"), "*.yaml").Order().SelectMany(DeployFiles.LoadDocuments)];

    private static YamlMappingNode Silo => Find("StatefulSet", "fleetmfa-silo");

    private static YamlNode SiloPod => Silo.Get("spec", "template")!;

    private static YamlNode SiloContainer => SiloPod.Items("spec", "containers").Single(c => c.Scalar("name") == "silo");

    private static Dictionary<string, YamlNode> SiloEnvironment => SiloContainer.Items("env").ToDictionary(e => e.Scalar("name")!, e => e);

    [Fact]
    public void Every_manifest_names_its_kind_and_lives_in_the_fleetmfa_namespace()
    {
        Assert.True(Manifests.Count >= 10);
        foreach (var manifest in Manifests)
        {
            Assert.False(string.IsNullOrEmpty(manifest.Scalar("apiVersion")));
            var kind = manifest.Scalar("kind");
            Assert.False(string.IsNullOrEmpty(manifest.Scalar("metadata", "name")), $"a {kind} without a name");
            if (kind != "Namespace")
            {
                Assert.Equal("fleetmfa", manifest.Scalar("metadata", "namespace"));
            }
        }
    }

    [Fact]
    public void The_silo_runs_in_kubernetes_mode_with_the_pod_identity_orleans_reads()
    {
        var environment = SiloEnvironment;
        Assert.Equal("Kubernetes", environment["FLEETMFA_CLUSTERING"].Scalar("value"));
        Assert.Equal("metadata.name", environment["POD_NAME"].Scalar("valueFrom", "fieldRef", "fieldPath"));
        Assert.Equal("metadata.namespace", environment["POD_NAMESPACE"].Scalar("valueFrom", "fieldRef", "fieldPath"));
        Assert.Equal("status.podIP", environment["POD_IP"].Scalar("valueFrom", "fieldRef", "fieldPath"));

        // The agent looks for pods labelled with the silo's own ClusterOptions, and the service id is fixed.
        Assert.Equal(FleetClusterOptions.ServiceId, SiloPod.Scalar("metadata", "labels", "orleans/serviceId"));
        Assert.False(string.IsNullOrEmpty(SiloPod.Scalar("metadata", "labels", "orleans/clusterId")));
        Assert.Equal("metadata.labels['orleans/clusterId']", environment["FLEETMFA_CLUSTER_ID"].Scalar("valueFrom", "fieldRef", "fieldPath"));
    }

    [Fact]
    public void Every_FLEETMFA_variable_is_one_the_silo_reads_and_keys_come_from_the_secret()
    {
        var environment = SiloEnvironment;
        var unknown = environment.Keys.Where(k => k.StartsWith("FLEETMFA_", StringComparison.Ordinal) && !EnvironmentVariables.Names.Contains(k)).ToList();
        Assert.Empty(unknown);

        foreach (var secret in new[] { "FLEETMFA_ADMIN_KEY", "FLEETMFA_MASTER_KEY", "FLEETMFA_SIGNING_KEY", "FLEETMFA_STORAGE" })
        {
            Assert.Null(environment[secret].Scalar("value"));
            Assert.Equal("fleetmfa-secrets", environment[secret].Scalar("valueFrom", "secretKeyRef", "name"));
        }
    }

    [Fact]
    public void Ports_match_the_configuration_and_the_probes_use_healthz()
    {
        var environment = SiloEnvironment;
        var ports = SiloContainer.Items("ports").ToDictionary(p => p.Scalar("name")!, p => p.Scalar("containerPort")!);
        Assert.Equal("http://+:" + ports["http"], environment["ASPNETCORE_URLS"].Scalar("value"));
        Assert.Equal(environment["FLEETMFA_SILO_PORT"].Scalar("value"), ports["silo"]);
        Assert.Equal(environment["FLEETMFA_GATEWAY_PORT"].Scalar("value"), ports["gateway"]);

        foreach (var probe in new[] { "startupProbe", "readinessProbe" })
        {
            Assert.Equal("/healthz", SiloContainer.Scalar(probe, "httpGet", "path"));
            Assert.Equal("http", SiloContainer.Scalar(probe, "httpGet", "port"));
        }

        Assert.Equal("http", SiloContainer.Scalar("livenessProbe", "tcpSocket", "port"));
    }

    [Fact]
    public void The_service_account_may_get_list_watch_patch_and_delete_pods()
    {
        var account = SiloPod.Scalar("spec", "serviceAccountName");
        Find("ServiceAccount", account!);
        var binding = Manifests.Single(m => m.Scalar("kind") == "RoleBinding" && m.Items("subjects").Any(s => s.Scalar("name") == account));
        var role = Find(binding.Scalar("roleRef", "kind")!, binding.Scalar("roleRef", "name")!);
        var podRule = role.Items("rules").Single(r => r.Items("resources").Any(x => ((YamlScalarNode)x).Value == "pods"));
        var verbs = podRule.Items("verbs").Select(v => ((YamlScalarNode)v).Value).ToHashSet();
        Assert.Superset(new HashSet<string?> { "get", "list", "watch", "patch", "delete" }, verbs);
    }

    [Fact]
    public void Services_and_the_disruption_budget_select_the_silo_pods_on_ports_it_has()
    {
        var labels = SiloPod.Entries("metadata", "labels").ToDictionary(e => e.Key, e => ((YamlScalarNode)e.Value).Value);
        var portNames = SiloContainer.Items("ports").Select(p => p.Scalar("name")).ToHashSet();
        var services = Manifests.Where(m => m.Scalar("kind") == "Service" && m.Scalar("metadata", "name")!.StartsWith("fleetmfa-silo", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, services.Count);
        foreach (var service in services)
        {
            Assert.All(service.Entries("spec", "selector"), s => Assert.Equal(labels[s.Key], ((YamlScalarNode)s.Value).Value));
            Assert.All(service.Items("spec", "ports"), p => Assert.Contains(p.Scalar("targetPort"), portNames));
        }

        var budget = Manifests.Single(m => m.Scalar("kind") == "PodDisruptionBudget");
        Assert.Equal("1", budget.Scalar("spec", "maxUnavailable"));
        Assert.All(budget.Entries("spec", "selector", "matchLabels"), s => Assert.Equal(labels[s.Key], ((YamlScalarNode)s.Value).Value));
    }

    [Fact]
    public void Every_silo_replica_has_its_own_bridge_account_on_mosquitto()
    {
        var replicas = int.Parse(Silo.Scalar("spec", "replicas")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("fleetmfa-bridge-$(POD_NAME)", SiloEnvironment["FLEETMFA_BROKER_USERNAME"].Scalar("value"));
        Assert.Equal("external", SiloEnvironment["FLEETMFA_MOSQUITTO_RELOAD"].Scalar("value"));

        var broker = Find("StatefulSet", "fleetmfa-mosquitto");
        var accounts = BrokerInitEnvironment["FLEETMFA_BRIDGE_ACCOUNTS"]!;
        var expected = Enumerable.Range(0, replicas).Select(i => $"fleetmfa-bridge-{Silo.Scalar("metadata", "name")}-{i}");
        Assert.Equal(expected, accounts.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("true", broker.Scalar("spec", "template", "spec", "shareProcessNamespace"));
    }

    [Fact]
    public void Every_broker_container_runs_the_image_with_the_rate_limit_plugin()
    {
        // The init container writes a config that loads fleetmfa_limits.so and refuses to when the image lacks it.
        var broker = Find("StatefulSet", "fleetmfa-mosquitto").Get("spec", "template", "spec")!;
        var images = broker.Items("initContainers").Concat(broker.Items("containers")).Select(c => c.Scalar("image")).ToList();
        Assert.Equal(3, images.Count);
        Assert.All(images, image => Assert.Equal("fleetmfa-mosquitto:2.0.20", image));
    }

    [Fact]
    public void The_broker_pod_runs_scripts_that_exist_in_deploy_mosquitto()
    {
        var broker = Find("StatefulSet", "fleetmfa-mosquitto").Get("spec", "template", "spec")!;
        var commands = broker.Items("initContainers").Concat(broker.Items("containers"))
            .SelectMany(c => c.Items("command")).Select(c => ((YamlScalarNode)c).Value!)
            .Where(c => c.StartsWith("/scripts/", StringComparison.Ordinal)).ToList();
        Assert.Equal(["/scripts/init-broker.sh", "/scripts/reload-on-change.sh"], commands.Order());
        Assert.All(commands, c => Assert.True(File.Exists(DeployFiles.PathOf("mosquitto", c["/scripts/".Length..])), $"{c} is not in deploy/mosquitto"));
    }

    [Fact]
    public void Mosquitto_runs_over_tls_with_the_silos_ca_and_no_password_anywhere()
    {
        // No bridge password, no password file: devices and bridges log in with certificates of the FleetMfa CA.
        foreach (var file in new[] { "mosquitto.yaml", "silo.yaml" })
        {
            var text = File.ReadAllText(DeployFiles.PathOf("k8s", file));
            Assert.DoesNotContain("PASSWORD", text, StringComparison.Ordinal);
            Assert.DoesNotContain("passwd", text, StringComparison.Ordinal);
            Assert.DoesNotContain("bridge-password", text, StringComparison.Ordinal);
        }

        var environment = SiloEnvironment;
        var brokerUrl = new Uri(environment["FLEETMFA_BROKER"].Scalar("value")!);
        Assert.Equal("mqtts", brokerUrl.Scheme);
        Assert.False(environment.ContainsKey("FLEETMFA_MOSQUITTO_PID_FILE"), "the reloader next to the broker reloads it, not the silo");

        // The init container issues the broker's certificate from the CA Secret the silos mount, for the names agents
        // are told and the silos dial; only it mounts that Secret in the broker's pod.
        var init = BrokerInitEnvironment;
        var siloCa = SiloPod.Items("spec", "volumes").Single(v => v.Scalar("name") == "agent-ca").Scalar("secret", "secretName");
        var brokerPod = Find("StatefulSet", "fleetmfa-mosquitto").Get("spec", "template", "spec")!;
        var brokerCa = brokerPod.Items("volumes").Single(v => v.Scalar("secret", "secretName") == siloCa).Scalar("name");
        var initContainer = brokerPod.Items("initContainers").Single();
        var caMount = initContainer.Items("volumeMounts").Single(m => m.Scalar("name") == brokerCa).Scalar("mountPath");
        Assert.Equal(Path.GetFileName(environment["FLEETMFA_AGENT_CA_CERT"].Scalar("value")), Path.GetFileName(init["FLEETMFA_AGENT_CA_CERT"]));
        Assert.StartsWith(caMount + "/", init["FLEETMFA_AGENT_CA_CERT"], StringComparison.Ordinal);
        Assert.All(brokerPod.Items("containers"), c => Assert.DoesNotContain(c.Items("volumeMounts"), m => m.Scalar("name") == brokerCa));
        var hosts = init["MOSQUITTO_TLS_HOSTS"]!.Split(' ', ',');
        Assert.Contains(environment["FLEETMFA_MQTT_ADVERTISED_HOST"].Scalar("value"), hosts);
        Assert.Contains(brokerUrl.Host, hosts);
        Assert.Contains(Find("Service", brokerUrl.Host).Items("spec", "ports"), p => p.Scalar("port") == $"{brokerUrl.Port}");
    }

    [Fact]
    public void The_silos_keep_the_revocation_files_on_a_shared_volume_the_broker_reads_and_its_reloader_watches()
    {
        var environment = SiloEnvironment;
        var brokerPod = Find("StatefulSet", "fleetmfa-mosquitto").Get("spec", "template", "spec")!;
        var claim = brokerPod.Items("volumes").Single(v => v.Scalar("name") == "revocation").Scalar("persistentVolumeClaim", "claimName")!;
        Assert.Contains("ReadWriteMany", Find("PersistentVolumeClaim", claim).Items("spec", "accessModes").Select(m => ((YamlScalarNode)m).Value));

        // The silo mounts that claim (and not the broker's data) where its CRL and revoked file are.
        var siloVolume = SiloPod.Items("spec", "volumes").Single(v => v.Scalar("persistentVolumeClaim", "claimName") == claim).Scalar("name");
        var siloMount = SiloContainer.Items("volumeMounts").Single(m => m.Scalar("name") == siloVolume).Scalar("mountPath");
        Assert.Equal($"{siloMount}/crl.pem", environment["FLEETMFA_MOSQUITTO_CRL_FILE"].Scalar("value"));
        Assert.Equal($"{siloMount}/revoked", environment["FLEETMFA_MOSQUITTO_REVOKED_FILE"].Scalar("value"));
        var data = brokerPod.Items("volumes").Single(v => v.Scalar("name") == "data").Scalar("persistentVolumeClaim", "claimName");
        Assert.DoesNotContain(SiloPod.Items("spec", "volumes"), v => v.Scalar("persistentVolumeClaim", "claimName") == data);
        Assert.Contains("1883", SiloPod.Items("spec", "securityContext", "supplementalGroups").Select(g => ((YamlScalarNode)g).Value));

        // The init container makes the first files there; the broker and its reloader only read them.
        var init = BrokerInitEnvironment;
        var mounts = brokerPod.Items("initContainers").Concat(brokerPod.Items("containers"))
            .ToDictionary(c => c.Scalar("name")!, c => c.Items("volumeMounts").SingleOrDefault(m => m.Scalar("name") == "revocation"));
        Assert.Equal(init["MOSQUITTO_REVOCATION_DIR"], mounts["init"]!.Scalar("mountPath"));
        Assert.Null(mounts["init"]!.Scalar("readOnly"));
        Assert.Equal("true", mounts["mosquitto"]!.Scalar("readOnly"));
        Assert.Equal("true", mounts["reloader"]!.Scalar("readOnly"));

        // The reloader watches the pid file the config names and both files.
        var directory = mounts["reloader"]!.Scalar("mountPath");
        var reloader = brokerPod.Items("containers").Single(c => c.Scalar("name") == "reloader").Items("command").Select(c => ((YamlScalarNode)c).Value);
        Assert.Equal(["sh", "/scripts/reload-on-change.sh", $"{init["MOSQUITTO_DIR"]}/mosquitto.pid", $"{directory}/crl.pem", $"{directory}/revoked"], reloader);
    }

    [Fact]
    public void Agents_are_told_to_use_the_brokers_tls_listener_which_with_the_agent_endpoint_is_the_only_public_port()
    {
        var environment = SiloEnvironment;
        var broker = Find("StatefulSet", "fleetmfa-mosquitto").Get("spec", "template", "spec")!;
        var mosquitto = broker.Items("containers").Single(c => c.Scalar("name") == "mosquitto");
        var tlsPort = mosquitto.Items("ports").Single(p => p.Scalar("name") == "mqtts").Scalar("containerPort");
        Assert.Equal(["mqtts"], mosquitto.Items("ports").Select(p => p.Scalar("name")));
        // On mqtts:// agents are told the broker's port, always with TLS: the public Service must answer on it.
        Assert.Equal($"{new Uri(environment["FLEETMFA_BROKER"].Scalar("value")!).Port}", tlsPort);
        var publicMqtt = Find("Service", "fleetmfa-mqtt-public").Items("spec", "ports").Single();
        Assert.Equal(tlsPort, publicMqtt.Scalar("port"));

        var exposed = Manifests.Where(m => m.Scalar("kind") == "Service" && m.Scalar("spec", "type") == "LoadBalancer").ToList();
        Assert.Equal(["agents", "mqtts"], exposed.SelectMany(s => s.Items("spec", "ports")).Select(p => p.Scalar("targetPort")).Order());

        // The agent endpoint: the silo's HTTPS port, with the CA of a Secret every replica shares (connect keys pin it).
        var ports = SiloContainer.Items("ports").ToDictionary(p => p.Scalar("name")!, p => p.Scalar("containerPort")!);
        Assert.Equal(ports["agents"], environment["FLEETMFA_AGENT_HTTPS_PORT"].Scalar("value"));
        var caMount = SiloContainer.Items("volumeMounts").Single(m => m.Scalar("name") == "agent-ca").Scalar("mountPath");
        Assert.StartsWith(caMount + "/", environment["FLEETMFA_AGENT_CA_CERT"].Scalar("value"), StringComparison.Ordinal);
    }

    [Fact]
    public void Orleans_runs_over_mutual_tls_with_the_certificates_of_a_mounted_secret()
    {
        var environment = SiloEnvironment;
        var mount = SiloContainer.Items("volumeMounts").Single(m => m.Scalar("name") == "cluster-tls");
        Assert.Equal("true", mount.Scalar("readOnly"));
        var directory = mount.Scalar("mountPath")!;
        foreach (var (variable, file) in new[] { ("FLEETMFA_CLUSTER_CERT", "tls.crt"), ("FLEETMFA_CLUSTER_KEY", "tls.key"), ("FLEETMFA_CLUSTER_CA", "ca.crt") })
        {
            Assert.Equal($"{directory}/{file}", environment[variable].Scalar("value"));
        }

        var volume = SiloPod.Items("spec", "volumes").Single(v => v.Scalar("name") == "cluster-tls");
        Assert.Equal("fleetmfa-cluster-tls", volume.Scalar("secret", "secretName"));
    }

    [Fact]
    public void No_service_publishes_the_gateway_and_only_silo_pods_may_reach_the_orleans_ports()
    {
        var published = Manifests.Where(m => m.Scalar("kind") == "Service").SelectMany(s => s.Items("spec", "ports")).Select(p => p.Scalar("targetPort")).ToList();
        Assert.DoesNotContain("gateway", published);

        var labels = SiloPod.Entries("metadata", "labels").ToDictionary(e => e.Key, e => ((YamlScalarNode)e.Value).Value);
        var policy = Find("NetworkPolicy", "fleetmfa-silo");
        Assert.All(policy.Entries("spec", "podSelector", "matchLabels"), s => Assert.Equal(labels[s.Key], ((YamlScalarNode)s.Value).Value));
        Assert.Equal(["Ingress"], policy.Items("spec", "policyTypes").Select(t => ((YamlScalarNode)t).Value));

        var rules = policy.Items("spec", "ingress").ToList();
        var orleans = rules.Single(r => r.Items("ports").Any(p => p.Scalar("port") == "silo"));
        Assert.Equal(["gateway", "silo"], orleans.Items("ports").Select(p => p.Scalar("port")).Order());
        var from = orleans.Items("from").Single();
        Assert.Equal(labels["app.kubernetes.io/name"], from.Scalar("podSelector", "matchLabels", "app.kubernetes.io/name"));
        Assert.Null(from.Get("namespaceSelector"));

        // Every other rule opens HTTP and the HTTPS agent endpoint alone: no rule admits an Orleans port from anywhere else.
        Assert.All(rules.Where(r => r != orleans), r => Assert.Equal(["agents", "http"], r.Items("ports").Select(p => p.Scalar("port")).Order()));
    }

    private static Dictionary<string, string?> BrokerInitEnvironment =>
        Find("StatefulSet", "fleetmfa-mosquitto").Items("spec", "template", "spec", "initContainers").Single()
            .Items("env").ToDictionary(e => e.Scalar("name")!, e => e.Scalar("value"));

    private static YamlMappingNode Find(string kind, string name) =>
        Manifests.SingleOrDefault(m => m.Scalar("kind") == kind && m.Scalar("metadata", "name") == name)
        ?? throw new Xunit.Sdk.XunitException($"no {kind} {name} in deploy/k8s");
}
