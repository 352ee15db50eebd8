using System.Numerics;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Network;
using MQTTnet;

namespace FleetMfa.EndToEnd.Packaging;

/// <summary>
/// The broker side of deploy/compose and deploy/k8s, run for real with Debian's Mosquitto instead of the container:
/// init-broker.sh writes the TLS config from the FleetMfa CA it is given, one bridge account per silo and the first
/// revocation files — no password file — and reload-on-change.sh reloads the broker when a silo replaces the CRL or
/// the revoked file (a new file renamed over the old one), as silos in other containers or pods do. The broker runs
/// with the rate-limit and revocation plugin the image carries.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class MosquittoContainerScriptsTests : IDisposable
{
    private static readonly string Scripts = Path.Combine(TestPaths.RepoRoot, "deploy", "mosquitto");
    private readonly TestWorkspace _workspace = TestWorkspace.Create();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Bridges_and_devices_log_in_with_certificates_and_a_changed_revocation_file_reloads_the_broker()
    {
        var directory = _workspace.NewDirectory("mosquitto-container");
        var (data, revocation, caFile) = (Path.Combine(directory, "data"), Path.Combine(directory, "revocation"), Path.Combine(directory, "ca.pem"));
        var port = FreePorts.Next();
        Assert.Equal(0, (await Command.RunAsync(directory, "sh", [Path.Combine(Scripts, "make-tls.sh"), caFile])).ExitCode);
        // A password file an older init left behind, with a device account in it.
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "passwd"), "acme/old-device:$7$101$c2FsdA==$aGFzaA==\n");
        var init = new Dictionary<string, string>
        {
            ["FLEETMFA_AGENT_CA_CERT"] = caFile,
            ["MOSQUITTO_DIR"] = data,
            ["MOSQUITTO_REVOCATION_DIR"] = revocation,
            ["MOSQUITTO_PORT"] = $"{port}",
            ["MOSQUITTO_BIND"] = "127.0.0.1",
            ["MOSQUITTO_USER"] = Environment.UserName,
            ["MOSQUITTO_TLS_HOSTS"] = "mqtt.fleetmfa.test,10.9.8.7",
            ["FLEETMFA_BRIDGE_ACCOUNTS"] = "fleetmfa-bridge-1 fleetmfa-bridge-2",
            ["FLEETMFA_LIMITS_PLUGIN"] = MosquittoBroker.LimitsPlugin,
        };
        var prepared = await Command.RunAsync(directory, "sh", [Path.Combine(Scripts, "init-broker.sh")], init);
        Assert.True(prepared.ExitCode == 0, prepared.Output);
        AssertNoPasswordFile(directory);

        var config = File.ReadAllLines(Path.Combine(data, "mosquitto.conf"));
        Assert.Contains($"listener {port} 127.0.0.1", config);
        Assert.Contains("require_certificate true", config);
        Assert.Contains("use_identity_as_username true", config);
        Assert.Contains($"cafile {data}/tls/ca.crt", config);
        Assert.Contains($"crlfile {revocation}/crl.pem", config);
        Assert.Contains($"plugin {MosquittoBroker.LimitsPlugin}", config);
        Assert.Contains($"plugin_opt_revoked_file {revocation}/revoked", config);
        Assert.Contains("plugin_opt_rate 10", config);
        Assert.DoesNotContain(config, l => l.StartsWith("password_file", StringComparison.Ordinal));
        var acl = File.ReadAllLines(Path.Combine(data, "acl"));
        Assert.Equal(["user fleetmfa-bridge-1", "user fleetmfa-bridge-2"], acl.Where(l => l.StartsWith("user ", StringComparison.Ordinal)));

        // The CA's certificate alone goes to the broker; its server certificate and first CRL are the CA's; the silos (the
        // group) may replace the revocation files.
        Assert.DoesNotContain("PRIVATE KEY", await File.ReadAllTextAsync(Path.Combine(data, "tls", "ca.crt")), StringComparison.Ordinal);
        var verified = await Command.RunAsync(directory, "openssl", ["verify", "-CAfile", caFile, "-crl_check", "-CRLfile", Path.Combine(revocation, "crl.pem"), Path.Combine(data, "tls", "server.pem")]);
        Assert.True(verified.ExitCode == 0, verified.Output);
        var names = await Command.RunAsync(directory, "openssl", ["x509", "-in", Path.Combine(data, "tls", "server.pem"), "-noout", "-ext", "subjectAltName"]);
        Assert.Contains("DNS:mqtt.fleetmfa.test", names.Output, StringComparison.Ordinal);
        Assert.Contains("IP Address:10.9.8.7", names.Output, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute, File.GetUnixFileMode(revocation));

        await using var broker = ChildProcess.Start("/usr/sbin/mosquitto", ["-c", Path.Combine(data, "mosquitto.conf")], directory, new Dictionary<string, string>(), Path.Combine(directory, "mosquitto.log"));
        await Poll.UntilAsync(async () => !broker.HasExited && File.Exists(Path.Combine(data, "mosquitto.pid")) && await LoopbackPort.AcceptsConnectionsAsync(port), up => up, $"Mosquitto listening on {port}:\n{broker.Tail()}");
        await using var watcher = ChildProcess.Start(
            "sh", [Path.Combine(Scripts, "reload-on-change.sh"), Path.Combine(data, "mosquitto.pid"), Path.Combine(revocation, "crl.pem"), Path.Combine(revocation, "revoked")],
            directory, new Dictionary<string, string> { ["RELOAD_INTERVAL"] = "0.2" }, Path.Combine(directory, "reload.log"));

        using var ca = X509Certificate2.CreateFromPemFile(caFile, caFile);
        using var bridgeCertificate1 = TestCertificates.IssueClient(ca, "fleetmfa-bridge-1");
        using var bridgeCertificate2 = TestCertificates.IssueClient(ca, "fleetmfa-bridge-2");

        // Two silos at once, each with its own certificate: with client id = username, a shared account would throw the first one off.
        var (first, firstResult) = await MqttProbe.ConnectWithCertificateAsync(port, bridgeCertificate1, "fleetmfa-bridge-1");
        await using var bridge1 = first;
        var (second, secondResult) = await MqttProbe.ConnectWithCertificateAsync(port, bridgeCertificate2, "fleetmfa-bridge-2");
        await using var bridge2 = second;
        Assert.Equal((MqttClientConnectResultCode.Success, MqttClientConnectResultCode.Success), (firstResult, secondResult));
        Assert.True(await bridge1.PingAsync(), "the first silo's bridge session survived the second one connecting");
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await bridge1.SubscribeAsync("fleetmfa/v1/+/+/reported"));

        // Devices the broker was never told about log in with their certificates: no file names them.
        using var webCertificate1 = TestCertificates.IssueClient(ca, "acme/web-01");
        using var webCertificate2 = TestCertificates.IssueClient(ca, "acme/web-02");
        await using var web1 = await ConnectDeviceAsync(port, webCertificate1, "acme/web-01");
        Assert.Equal(MqttClientPublishReasonCode.Success, await web1.PublishAsync("fleetmfa/v1/acme/web-01/reported", "one"u8.ToArray()));
        await bridge1.WaitForMessageAsync("fleetmfa/v1/acme/web-01/reported");

        // A silo revokes web-01 (a new revoked file renamed over the old one): the watcher reloads, the plugin ends its
        // session, and a fresh connect may do nothing.
        var reloads = Reloads(watcher);
        await ReplaceAsync(Path.Combine(revocation, "revoked"), $"# list 2\n{webCertificate1.SerialNumber} acme/web-01\n");
        await Poll.UntilAsync(() => Reloads(watcher) > reloads, "the watcher reloads the broker after the revoked file changed");
        await Poll.UntilAsync(() => !web1.IsConnected, "web-01's session ended by the reload");
        await using (var again = await ConnectDeviceAsync(port, webCertificate1, "acme/web-01"))
        {
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, await again.PublishAsync("fleetmfa/v1/acme/web-01/reported", "two"u8.ToArray()));
        }

        await using (var web2 = await ConnectDeviceAsync(port, webCertificate2, "acme/web-02"))
        {
            Assert.Equal(MqttClientPublishReasonCode.Success, await web2.PublishAsync("fleetmfa/v1/acme/web-02/reported", "one"u8.ToArray()));
        }

        // A malformed revoked file, reloaded: the plugin denies every device (fail closed), the bridges still work.
        reloads = Reloads(watcher);
        await ReplaceAsync(Path.Combine(revocation, "revoked"), "not-a-serial acme/web-01\n");
        await Poll.UntilAsync(() => Reloads(watcher) > reloads, "the watcher reloads the broker after the revoked file became malformed");
        await Poll.UntilAsync(() => PublishAsync(port, webCertificate2, "acme/web-02"), code => code == MqttClientPublishReasonCode.NotAuthorized, "web-02 denied while the revoked file is malformed");
        var bridgePublish = await bridge2.PublishAsync("fleetmfa/v1/acme/web-02/desired", "{}"u8.ToArray());
        Assert.True(bridgePublish is MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers, $"the bridge is exempt from the fail-closed denial: {bridgePublish}");

        // Fixed (web-01 listed again): web-02 works again.
        reloads = Reloads(watcher);
        await ReplaceAsync(Path.Combine(revocation, "revoked"), $"# list 3\n{webCertificate1.SerialNumber} acme/web-01\n");
        await Poll.UntilAsync(() => Reloads(watcher) > reloads, "the watcher reloads the broker after the revoked file was fixed");
        await Poll.UntilAsync(() => PublishAsync(port, webCertificate2, "acme/web-02"), code => code == MqttClientPublishReasonCode.Success, "web-02 allowed again");

        // A silo's new CRL naming web-02: the watcher reloads, and web-02's next handshake is refused.
        reloads = Reloads(watcher);
        var crl = new CertificateRevocationListBuilder();
        crl.AddEntry(webCertificate2, DateTimeOffset.UtcNow, X509RevocationReason.CessationOfOperation);
        var der = crl.Build(ca, new BigInteger(2), DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256, thisUpdate: DateTimeOffset.UtcNow.AddHours(-1));
        await ReplaceAsync(Path.Combine(revocation, "crl.pem"), PemEncoding.WriteString("X509 CRL", der) + "\n");
        await Poll.UntilAsync(() => Reloads(watcher) > reloads, "the watcher reloads the broker after the CRL changed");
        await Poll.UntilAsync(() => HandshakeRefusedAsync(port, webCertificate2, "acme/web-02"), refused => refused, "web-02's handshake refused by the new CRL");
        using var webCertificate3 = TestCertificates.IssueClient(ca, "acme/web-03");
        Assert.False(await HandshakeRefusedAsync(port, webCertificate3, "acme/web-03"), "the CRL names web-02 alone");

        // Re-running the init (a pod restart) keeps what the silos wrote and the server certificate, and makes no password file.
        var serverCertificate = await File.ReadAllBytesAsync(Path.Combine(data, "tls", "server.pem"));
        var crlText = await File.ReadAllTextAsync(Path.Combine(revocation, "crl.pem"));
        var revokedText = await File.ReadAllTextAsync(Path.Combine(revocation, "revoked"));
        var rerun = await Command.RunAsync(directory, "sh", [Path.Combine(Scripts, "init-broker.sh")], init);
        Assert.True(rerun.ExitCode == 0, rerun.Output);
        Assert.Equal(serverCertificate, await File.ReadAllBytesAsync(Path.Combine(data, "tls", "server.pem")));
        Assert.Equal(crlText, await File.ReadAllTextAsync(Path.Combine(revocation, "crl.pem")));
        Assert.Equal(revokedText, await File.ReadAllTextAsync(Path.Combine(revocation, "revoked")));
        AssertNoPasswordFile(directory);
        Assert.DoesNotContain("PRIVATE KEY", broker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_watcher_reloads_on_a_change_of_content_and_not_on_the_same_content_written_anew()
    {
        var directory = _workspace.NewDirectory("mosquitto-watcher");
        var (watched, pidFile) = (Path.Combine(directory, "revoked"), Path.Combine(directory, "target.pid"));
        await File.WriteAllTextAsync(watched, "# list 1\n");
        // The process it reloads: a shell that counts its SIGHUPs.
        await using var target = ChildProcess.Start(
            "sh", ["-c", $"trap 'echo hup' HUP; echo $$ > '{pidFile}'; while :; do sleep 0.1; done"], directory, new Dictionary<string, string>(), Path.Combine(directory, "target.log"));
        await Poll.UntilAsync(() => File.Exists(pidFile) && new FileInfo(pidFile).Length > 0, "the target's pid file");
        await using var watcher = ChildProcess.Start(
            "sh", [Path.Combine(Scripts, "reload-on-change.sh"), pidFile, watched, Path.Combine(directory, "crl.pem")],
            directory, new Dictionary<string, string> { ["RELOAD_INTERVAL"] = "0.1" }, Path.Combine(directory, "reload.log"));
        await Task.Delay(TimeSpan.FromSeconds(0.5));

        // The same content written anew is no change; the same size in the same second with another content is one.
        await ReplaceAsync(watched, "# list 1\n");
        await Task.Delay(TimeSpan.FromSeconds(0.5));
        Assert.Equal(0, Reloads(watcher));
        await ReplaceAsync(watched, "# list 2\n");
        await Poll.UntilAsync(() => Reloads(watcher) == 1 && target.Output.Contains("hup", StringComparison.Ordinal), "one reload");
        // A file that appears (the CRL a silo writes first) is a change too.
        await ReplaceAsync(Path.Combine(directory, "crl.pem"), "crl\n");
        await Poll.UntilAsync(() => Reloads(watcher) == 2, "a second reload");
    }

    [Fact]
    public async Task The_init_refuses_to_write_a_config_without_the_rate_limit_plugin()
    {
        var directory = _workspace.NewDirectory("mosquitto-no-plugin");
        var missing = Path.Combine(directory, "fleetmfa_limits.so");
        var init = await InitAsync(directory, missing);

        Assert.NotEqual(0, init.ExitCode);
        Assert.Contains($"the rate-limit plugin {missing} is missing", init.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(directory, "mosquitto.conf")));
    }

    [Fact]
    public async Task The_init_never_makes_a_ca_of_its_own()
    {
        // The silos and the broker must share one CA: a broker with a CA of its own would refuse every device.
        var directory = _workspace.NewDirectory("mosquitto-no-ca");
        var caFile = Path.Combine(directory, "ca.pem");
        var init = await InitAsync(directory, MosquittoBroker.LimitsPlugin);

        Assert.NotEqual(0, init.ExitCode);
        Assert.Contains($"the FleetMfa CA {caFile} is missing", init.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(caFile));
        Assert.False(File.Exists(Path.Combine(directory, "mosquitto.conf")));
    }

    /// <summary>init-broker.sh into <paramref name="directory"/>, given the CA <c>ca.pem</c> there (if any) and <paramref name="plugin"/>.</summary>
    private static Task<CommandResult> InitAsync(string directory, string plugin) =>
        Command.RunAsync(directory, "sh", [Path.Combine(Scripts, "init-broker.sh")], new Dictionary<string, string>
        {
            ["MOSQUITTO_DIR"] = directory,
            ["FLEETMFA_AGENT_CA_CERT"] = Path.Combine(directory, "ca.pem"),
            ["FLEETMFA_BRIDGE_ACCOUNTS"] = "fleetmfa-bridge-1",
            ["FLEETMFA_LIMITS_PLUGIN"] = plugin,
        });

    private static void AssertNoPasswordFile(string directory)
    {
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).ToList();
        Assert.DoesNotContain(files, f => Path.GetFileName(f).Contains("passwd", StringComparison.Ordinal));
        Assert.DoesNotContain(files.Where(f => !f.EndsWith(".log", StringComparison.Ordinal)), f => File.ReadAllText(f).Contains("$7$", StringComparison.Ordinal));
    }

    /// <summary>The silo's way: a temporary file renamed over the old one.</summary>
    private static async Task ReplaceAsync(string path, string content)
    {
        await File.WriteAllTextAsync(path + ".tmp", content, new UTF8Encoding(false));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static int Reloads(ChildProcess watcher) =>
        watcher.Output.Split('\n').Count(l => l.Contains("Mosquitto reloaded", StringComparison.Ordinal));

    private static async Task<MqttProbe> ConnectDeviceAsync(int port, X509Certificate2 certificate, string device)
    {
        var (probe, result) = await MqttProbe.ConnectWithCertificateAsync(port, certificate, device);
        Assert.Equal(MqttClientConnectResultCode.Success, result);
        return probe;
    }

    /// <summary>A fresh connect's PUBACK for a report of <paramref name="device"/>.</summary>
    private static async Task<MqttClientPublishReasonCode> PublishAsync(int port, X509Certificate2 certificate, string device)
    {
        await using var probe = await ConnectDeviceAsync(port, certificate, device);
        return await probe.PublishAsync($"fleetmfa/v1/{device}/reported", "probe"u8.ToArray());
    }

    /// <summary>Whether a fresh connect fails (at the handshake, or the broker closes the connection right after it).</summary>
    private static async Task<bool> HandshakeRefusedAsync(int port, X509Certificate2 certificate, string clientId)
    {
        try
        {
            var (probe, result) = await MqttProbe.ConnectWithCertificateAsync(port, certificate, clientId);
            await using (probe)
            {
                return result != MqttClientConnectResultCode.Success || !await probe.PingAsync();
            }
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or System.Security.Authentication.AuthenticationException or IOException or OperationCanceledException)
        {
            return true;
        }
    }
}
