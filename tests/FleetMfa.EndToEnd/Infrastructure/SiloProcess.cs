using System.Net;
using System.Net.Sockets;
using FleetMfa.Testing.Fleet;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// The real silo (<c>dotnet FleetMfa.Silo.dll</c>) on free loopback ports, its output captured for assertions, ready once
/// <c>GET /healthz</c> answers 200. Stopped with SIGTERM (a graceful Orleans shutdown), killed after a grace period.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    public static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Rate limits far above anything a test does: every test talks from 127.0.0.1, and many refuse keys on purpose.
    /// The tests of the limits themselves set low ones in <see cref="SiloSettings.Environment"/>, which wins.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> UnlimitedRates = new Dictionary<string, string>
    {
        ["FLEETMFA_RATE_LIMIT_ADDRESS"] = "10000000",
        ["FLEETMFA_RATE_LIMIT_KEY"] = "10000000",
        ["FLEETMFA_RATE_LIMIT_FAILURES"] = "10000000",
        ["FleetMfa__RateLimits__AddressBurst"] = "10000000",
        ["FleetMfa__RateLimits__KeyBurst"] = "10000000",
        ["FleetMfa__RateLimits__FailureBurst"] = "10000000",
        ["FleetMfa__RateLimits__AuditedRefusalsPerMinute"] = "10000000",
    };

    private readonly ChildProcess _process;
    private readonly HttpClient _http;
    private readonly Lazy<HttpClient> _agents;
    private readonly SiloSettings _settings;
    private readonly Lock _gate = new();
    private string? _adminKey;
    private FleetClient? _api;

    private SiloProcess(SiloSettings settings, ChildProcess process, Uri baseAddress, Uri agentAddress, int mqttPlaintextPort, int mqttTlsPort, int gatewayPort)
    {
        _settings = settings;
        _process = process;
        BaseAddress = baseAddress;
        AgentAddress = agentAddress;
        MqttPlaintextPort = mqttPlaintextPort;
        MqttTlsPort = mqttTlsPort;
        GatewayPort = gatewayPort;
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        _agents = new Lazy<HttpClient>(() => AgentEndpoint.FromCaFile(AgentAddress, CaFile, TimeSpan.FromSeconds(30)));
    }

    /// <summary>The admin API and dashboard: plain HTTP on loopback.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The agent endpoint (<c>FLEETMFA_AGENT_HTTPS_PORT</c>): what agents enroll with.</summary>
    public Uri AgentAddress { get; }

    /// <summary>The FleetMfa CA's PEM file: the configured one (<c>FLEETMFA_AGENT_CA_CERT</c>), else the one the silo generated into its data dir.</summary>
    public string CaFile => _settings.Environment.TryGetValue("FLEETMFA_AGENT_CA_CERT", out var configured)
        ? configured
        : Path.Combine(_settings.DataDirectory, "ca.pem");

    /// <summary>
    /// The embedded broker's plain password listener (<c>FLEETMFA_MQTT_PLAINTEXT_PORT</c>, which the tests open for their
    /// probes: a silo has none unless asked; 0 without one, <see cref="SiloSettings.PlaintextMqtt"/>); unused when the
    /// silo runs against an external broker.
    /// </summary>
    public int MqttPlaintextPort { get; }

    /// <summary>The embedded broker's port (<c>FLEETMFA_MQTT_PORT</c>, TLS): where enrolled agents connect with their client certificates.</summary>
    public int MqttTlsPort { get; }

    /// <summary>The Orleans client gateway's port (<c>FLEETMFA_GATEWAY_PORT</c>).</summary>
    public int GatewayPort { get; }

    public ChildProcess Process => _process;

    /// <summary>All output so far; after <see cref="StopAsync"/>, all of it.</summary>
    public string Output => _process.Output;

    /// <summary>The admin bearer key: the one passed in, or the one the silo generated into its data dir.</summary>
    public string AdminKey => _adminKey ??= _settings.AdminKey
        ?? File.ReadAllText(Path.Combine(_settings.DataDirectory, "admin.key")).Trim();

    public ApiClient Admin => new(_http, AdminKey, Agents);

    /// <summary>An HTTPS client of the agent endpoint pinned to the silo's CA (read from <see cref="CaFile"/>).</summary>
    public HttpClient Agents => _agents.Value;

    /// <summary>
    /// The admin API for set-up (<see cref="TestOrg"/>): every call that does not succeed throws. Tests of the API's
    /// answers use <see cref="Admin"/>.
    /// </summary>
    public FleetClient Api
    {
        get
        {
            lock (_gate)
            {
                return _api ??= new FleetClient(BaseAddress, AdminKey, connections: 16);
            }
        }
    }

    public ApiClient Anonymous => new(_http, key: null, Agents);

    /// <summary>Anonymous calls that all go to the plain HTTP port, agent routes included (to show they are not served there).</summary>
    public ApiClient PlainHttp => new(_http, key: null);

    public ApiClient WithKey(string key) => new(_http, key, Agents);

    /// <summary>Starts the silo and waits until it is healthy; fails with its log tail if it exits or stays unhealthy.</summary>
    public static async Task<SiloProcess> StartAsync(SiloSettings settings)
    {
        var silo = Launch(settings);
        try
        {
            await silo.WaitUntilHealthyAsync();
            return silo;
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
    }

    /// <summary>What Orleans logs when a silo learns that its cluster declared it dead.</summary>
    public const string SelfEvictionMarker = "I have been told I am dead";

    /// <summary>
    /// Starts a silo with a clock offset (<see cref="SiloSettings.WithClockOffset"/>). Known silo bug (see
    /// EnrollmentExpiryTests): it may declare itself dead and abort right after start-up; that start is retried (up
    /// to three times, each told to <paramref name="log"/>) so a test of an expiry rule checks the rule.
    /// </summary>
    public static async Task<SiloProcess> StartShiftedAsync(SiloSettings settings, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(log);
        for (var attempt = 1; ; attempt++)
        {
            var silo = Launch(settings);
            try
            {
                await silo.WaitUntilHealthyAsync();
                if (!silo.Output.Contains(SelfEvictionMarker, StringComparison.Ordinal))
                {
                    return silo;
                }
            }
            catch (InvalidOperationException) when (attempt < 3 && silo.Output.Contains(SelfEvictionMarker, StringComparison.Ordinal))
            {
            }
            catch
            {
                await silo.DisposeAsync();
                throw;
            }

            log($"Attempt {attempt}: the silo with a clock offset declared itself dead; starting it again. Log: {silo.Process.LogPath}");
            await silo.DisposeAsync();
            Assert.True(attempt < 3, "The silo with a clock offset declared itself dead three times in a row.");
        }
    }

    /// <summary>Starts the silo without waiting for it (for start-up failure tests).</summary>
    public static SiloProcess Launch(SiloSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!File.Exists(TestPaths.SiloAssembly))
        {
            throw new InvalidOperationException($"{TestPaths.SiloAssembly} is missing: build the solution ({TestPaths.Configuration}) first.");
        }

        var httpPort = settings.HttpPort ?? FreePorts.Next();
        var mqttPlaintextPort = settings.PlaintextMqtt ? settings.MqttPlaintextPort ?? FreePorts.Next() : 0;
        var mqttTlsPort = settings.MqttTlsPort ?? FreePorts.Next();
        var agentPort = settings.AgentPort ?? FreePorts.Next();
        var environment = new Dictionary<string, string>
        {
            ["FLEETMFA_STORAGE"] = settings.Storage,
            ["FLEETMFA_DATA"] = settings.DataDirectory,
            ["FLEETMFA_HTTP_PORT"] = $"{httpPort}",
            ["FLEETMFA_SILO_PORT"] = $"{FreePorts.Next()}",
            ["FLEETMFA_GATEWAY_PORT"] = $"{FreePorts.Next()}",
            ["FLEETMFA_MQTT_PORT"] = $"{mqttTlsPort}",
            ["FLEETMFA_AGENT_HTTPS_PORT"] = $"{agentPort}",
            ["FLEETMFA_AGENT_HTTPS_ADDRESS"] = "127.0.0.1",
            ["FLEETMFA_CLUSTER_ID"] = $"e2e-{settings.Name}-{Guid.NewGuid().ToString("N")[..8]}",
        };
        if (mqttPlaintextPort > 0)
        {
            environment["FLEETMFA_MQTT_PLAINTEXT_PORT"] = $"{mqttPlaintextPort}";
        }

        foreach (var (key, value) in UnlimitedRates)
        {
            environment[key] = value;
        }

        if (settings.AdminKey is not null)
        {
            environment["FLEETMFA_ADMIN_KEY"] = settings.AdminKey;
        }

        foreach (var (key, value) in settings.Environment)
        {
            environment[key] = value;
        }

        var logPath = Path.Combine(settings.LogDirectory, $"silo-{settings.Name}-{DateTime.UtcNow:HHmmssfff}.log");
        var process = ChildProcess.Start("dotnet", [TestPaths.SiloAssembly], TestPaths.SiloDirectory, environment, logPath);
        var gatewayPort = int.Parse(environment["FLEETMFA_GATEWAY_PORT"], System.Globalization.CultureInfo.InvariantCulture);
        return new SiloProcess(settings, process, new Uri($"http://127.0.0.1:{httpPort}/"), new Uri($"https://127.0.0.1:{agentPort}/"), mqttPlaintextPort, mqttTlsPort, gatewayPort);
    }

    /// <summary>Polls <c>/healthz</c> until 200, the process exits, or <see cref="StartupDeadline"/> passes.</summary>
    public async Task WaitUntilHealthyAsync()
    {
        var deadline = DateTimeOffset.UtcNow + StartupDeadline;
        var last = "no answer";
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(TimeSpan.FromSeconds(10));
                throw new InvalidOperationException($"Silo '{_settings.Name}' exited with code {_process.ExitCode} before it was healthy (log {_process.LogPath}):\n{_process.Tail()}");
            }

            last = await ProbeHealthAsync() is { } status ? $"HTTP {(int)status}" : "no answer";
            if (last == "HTTP 200")
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        throw new TimeoutException($"Silo '{_settings.Name}' was not healthy within {StartupDeadline.TotalSeconds} s (last: {last}; log {_process.LogPath}):\n{_process.Tail()}");
    }

    /// <summary>The status of one <c>GET /healthz</c>, or null when nothing answers.</summary>
    public async Task<HttpStatusCode?> ProbeHealthAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var response = await _http.GetAsync(new Uri("/healthz", UriKind.Relative), timeout.Token);
            return response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or SocketException)
        {
            // A SocketException escapes HttpClient unwrapped when the connection breaks while it is being set up
            // ("Transport endpoint is not connected" from the remote end point): nothing answers yet either.
            return null;
        }
    }

    /// <summary>Graceful stop (SIGTERM), SIGKILL after <see cref="StopGrace"/>. Returns the exit code; the output is complete afterwards.</summary>
    public Task<int> StopAsync() => _process.StopAsync(StopGrace);

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _http.Dispose();
        if (_agents.IsValueCreated)
        {
            _agents.Value.Dispose();
        }
        _api?.Dispose();
    }
}
