using FleetMfa.Silo.Hosting;
using YamlDotNet.RepresentationModel;

namespace FleetMfa.Tests.Packaging;

/// <summary>
/// deploy/k8s/*.yaml, parsed (no cluster here to apply them to): Orleans' Kubernetes hosting gets what it reads (pod
/// name, namespace and IP, matching orleans/* labels, RBAC on pods), secrets come from a Secret, probes hit /healthz,
/// Services and the PodDisruptionBudget select the silo pods, and every silo has its own broker account.
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

        foreach (var secret in new[] { "FLEETMFA_ADMIN_KEY", "FLEETMFA_MASTER_KEY", "FLEETMFA_SIGNING_KEY", "FLEETMFA_STORAGE", "FLEETMFA_BROKER_PASSWORD" })
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
        var init = broker.Items("spec", "template", "spec", "initContainers").Single();
        var accounts = init.Items("env").Single(e => e.Scalar("name") == "FLEETMFA_BRIDGE_ACCOUNTS").Scalar("value")!;
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
        Assert.Equal(2, commands.Count);
        Assert.All(commands, c => Assert.True(File.Exists(DeployFiles.PathOf("mosquitto", c["/scripts/".Length..])), $"{c} is not in deploy/mosquitto"));

        var claim = broker.Items("volumes").Single(v => v.Scalar("name") == "data").Scalar("persistentVolumeClaim", "claimName");
        Assert.Contains("ReadWriteMany", Find("PersistentVolumeClaim", claim!).Items("spec", "accessModes").Select(m => ((YamlScalarNode)m).Value));
        Assert.Contains(SiloPod.Items("spec", "volumes"), v => v.Scalar("persistentVolumeClaim", "claimName") == claim);
    }

    [Fact]
    public void Agents_are_told_to_use_the_brokers_tls_listener_which_with_the_agent_endpoint_is_the_only_public_port()
    {
        var environment = SiloEnvironment;
        Assert.Equal("true", environment["FleetMfa__Mqtt__AdvertisedUseTls"].Scalar("value"));
        var broker = Find("StatefulSet", "fleetmfa-mosquitto").Get("spec", "template", "spec")!;
        var mosquitto = broker.Items("containers").Single(c => c.Scalar("name") == "mosquitto");
        var tlsPort = mosquitto.Items("ports").Single(p => p.Scalar("name") == "mqtts").Scalar("containerPort");
        Assert.Equal(tlsPort, environment["FleetMfa__Mqtt__AdvertisedPort"].Scalar("value"));

        var init = broker.Items("initContainers").Single().Items("env").ToDictionary(e => e.Scalar("name")!, e => e.Scalar("value"));
        var certificates = mosquitto.Items("volumeMounts").Single(m => m.Scalar("name") == "certs").Scalar("mountPath");
        Assert.StartsWith(certificates + "/", init["MOSQUITTO_TLS_CERTFILE"], StringComparison.Ordinal);
        Assert.StartsWith(certificates + "/", init["MOSQUITTO_TLS_KEYFILE"], StringComparison.Ordinal);

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

    private static YamlMappingNode Find(string kind, string name) =>
        Manifests.SingleOrDefault(m => m.Scalar("kind") == kind && m.Scalar("metadata", "name") == name)
        ?? throw new Xunit.Sdk.XunitException($"no {kind} {name} in deploy/k8s");
}
