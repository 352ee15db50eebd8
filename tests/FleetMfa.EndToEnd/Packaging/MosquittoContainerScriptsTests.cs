using System.Runtime.Versioning;
using System.Security.Cryptography;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Network;
using MQTTnet;

namespace FleetMfa.EndToEnd.Packaging;

/// <summary>
/// The broker side of deploy/compose and deploy/k8s, run for real with Debian's Mosquitto instead of the container:
/// init-accounts.sh writes the config and one bridge account per silo, and reload-on-change.sh brings device accounts
/// appended later into the running broker (how silos in other containers or pods add devices); the agents' TLS
/// listener is checked with openssl s_client, and the broker runs with the per-client rate limit the image carries.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class MosquittoContainerScriptsTests : IDisposable
{
    private static readonly string Scripts = Path.Combine(TestPaths.RepoRoot, "deploy", "mosquitto");
    private readonly TestWorkspace _workspace = TestWorkspace.Create();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Every_silo_keeps_its_own_bridge_session_and_devices_added_later_connect_after_the_watcher_reloads()
    {
        var directory = _workspace.NewDirectory("mosquitto-container");
        var port = FreePorts.Next();
        var tlsPort = FreePorts.Next();
        var bridgePassword = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var certificate = await Command.RunAsync(directory, "openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=mqtt.fleetmfa.test",
            "-keyout", Path.Combine(directory, "tls.key"), "-out", Path.Combine(directory, "tls.crt")]);
        Assert.True(certificate.ExitCode == 0, certificate.Output);
        var init = new Dictionary<string, string>
        {
            ["MOSQUITTO_TLS_PORT"] = $"{tlsPort}",
            ["MOSQUITTO_TLS_CERTFILE"] = Path.Combine(directory, "tls.crt"),
            ["MOSQUITTO_TLS_KEYFILE"] = Path.Combine(directory, "tls.key"),
            ["MOSQUITTO_DIR"] = directory,
            ["MOSQUITTO_PORT"] = $"{port}",
            ["MOSQUITTO_BIND"] = "127.0.0.1",
            ["MOSQUITTO_USER"] = Environment.UserName,
            ["FLEETMFA_BRIDGE_ACCOUNTS"] = "fleetmfa-bridge-1 fleetmfa-bridge-2",
            ["FLEETMFA_BRIDGE_PASSWORD"] = bridgePassword,
            ["FLEETMFA_LIMITS_PLUGIN"] = MosquittoBroker.LimitsPlugin,
        };
        var prepared = await Command.RunAsync(directory, "sh", [Path.Combine(Scripts, "init-accounts.sh")], init);
        Assert.True(prepared.ExitCode == 0, prepared.Output);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(Path.Combine(directory, "passwd")));

        await using var broker = ChildProcess.Start("/usr/sbin/mosquitto", ["-c", Path.Combine(directory, "mosquitto.conf")], directory, new Dictionary<string, string>(), Path.Combine(directory, "mosquitto.log"));
        await Poll.UntilAsync(async () => !broker.HasExited && File.Exists(Path.Combine(directory, "mosquitto.pid")) && await LoopbackPort.AcceptsConnectionsAsync(port), up => up, $"Mosquitto listening on {port}:\n{broker.Tail()}");
        var config = File.ReadAllLines(Path.Combine(directory, "mosquitto.conf"));
        Assert.Contains($"plugin {MosquittoBroker.LimitsPlugin}", config);
        Assert.Contains("plugin_opt_rate 10", config);
        Assert.Contains("plugin_opt_exempt_prefix fleetmfa-bridge", config);
        await using var watcher = ChildProcess.Start(
            "sh", [Path.Combine(Scripts, "reload-on-change.sh"), Path.Combine(directory, "passwd"), Path.Combine(directory, "mosquitto.pid"), "0.2"],
            directory, new Dictionary<string, string>(), Path.Combine(directory, "reload.log"));

        // Two silos at once: with client id = username, a shared account would throw the first one off.
        var (first, firstResult) = await MqttProbe.ConnectAsync(port, "fleetmfa-bridge-1", bridgePassword);
        await using var bridge1 = first;
        var (second, secondResult) = await MqttProbe.ConnectAsync(port, "fleetmfa-bridge-2", bridgePassword);
        await using var bridge2 = second;
        Assert.Equal((MqttClientConnectResultCode.Success, MqttClientConnectResultCode.Success), (firstResult, secondResult));
        Assert.True(await bridge1.PingAsync(), "the first silo's bridge session survived the second one connecting");
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await bridge1.SubscribeAsync("fleetmfa/v1/+/+/presence"));

        // A device the broker does not know yet is refused; once its account is appended, the watcher's reload lets it in.
        var devicePassword = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var (refused, refusedResult) = await MqttProbe.ConnectAsync(port, "acme/web-01", devicePassword);
        await refused.DisposeAsync();
        Assert.NotEqual(MqttClientConnectResultCode.Success, refusedResult);
        Assert.Equal(0, (await Command.RunAsync(directory, "mosquitto_passwd", ["-b", Path.Combine(directory, "passwd"), "acme/web-01", devicePassword])).ExitCode);
        await using var device = await MqttProbe.ConnectEventuallyAsync(port, "acme/web-01", devicePassword);
        Assert.Equal(MqttClientPublishReasonCode.Success, await device.PublishAsync("fleetmfa/v1/acme/web-01/presence", "online"u8.ToArray()));
        await bridge1.WaitForMessageAsync("fleetmfa/v1/acme/web-01/presence");
        await Poll.UntilAsync(() => Task.FromResult(watcher.Output), o => o.Contains("Mosquitto reloaded", StringComparison.Ordinal), "the watcher reports the reload");

        // The agents' listener speaks TLS with the configured certificate.
        var handshake = await Command.RunAsync(directory, "openssl", ["s_client", "-connect", $"127.0.0.1:{tlsPort}", "-brief"], timeout: TimeSpan.FromSeconds(30));
        Assert.Contains("CONNECTION ESTABLISHED", handshake.Output, StringComparison.Ordinal);
        Assert.Contains("mqtt.fleetmfa.test", handshake.Output, StringComparison.Ordinal);

        // Re-running the init (a pod restart) keeps the device accounts the silos added.
        Assert.Equal(0, (await Command.RunAsync(directory, "sh", [Path.Combine(Scripts, "init-accounts.sh")], init)).ExitCode);
        Assert.Contains(File.ReadAllLines(Path.Combine(directory, "passwd")), l => l.StartsWith("acme/web-01:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_init_refuses_to_write_a_config_without_the_rate_limit_plugin()
    {
        var directory = _workspace.NewDirectory("mosquitto-no-plugin");
        var missing = Path.Combine(directory, "fleetmfa_limits.so");
        var init = await Command.RunAsync(directory, "sh", [Path.Combine(Scripts, "init-accounts.sh")], new Dictionary<string, string>
        {
            ["MOSQUITTO_DIR"] = directory,
            ["FLEETMFA_BRIDGE_ACCOUNTS"] = "fleetmfa-bridge-1",
            ["FLEETMFA_BRIDGE_PASSWORD"] = "unused",
            ["FLEETMFA_LIMITS_PLUGIN"] = missing,
        });

        Assert.NotEqual(0, init.ExitCode);
        Assert.Contains($"the rate-limit plugin {missing} is missing", init.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(directory, "mosquitto.conf")));
    }
}
