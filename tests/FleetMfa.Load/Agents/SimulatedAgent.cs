using FleetMfa.Agent.Daemon;
using FleetMfa.Agent.Enrollment;
using FleetMfa.Agent.Store;

namespace FleetMfa.Load.Agents;

/// <summary>
/// One device: the real agent code — <see cref="Enroller"/> through <c>POST /api/agent/enroll</c>, the
/// <see cref="AgentStore"/> in its own data directory, and the <see cref="AgentDaemon"/> with its own MQTT
/// session and credentials — inside this process.
/// </summary>
public sealed class SimulatedAgent : IAsyncDisposable
{
    private readonly SimulatedPlatform _platform;
    private AgentDaemon? _daemon;
    private Task? _run;

    public SimulatedAgent(string dataDirectory, string hostname)
    {
        Store = new AgentStore(dataDirectory);
        _platform = new SimulatedPlatform(hostname);
    }

    public AgentStore Store { get; }

    public AgentSignals Signals { get; } = new();

    public AgentConfig? Config { get; private set; }

    public string DeviceId => Config?.DeviceId ?? throw new InvalidOperationException("not enrolled");

    public async Task EnrollAsync(Uri server, string connectKey, HttpClient http, CancellationToken cancellationToken) =>
        Config = await new Enroller(Store, _platform, http).EnrollAsync(server, connectKey, cancellationToken);

    public void Start(CancellationToken cancellationToken)
    {
        _daemon = new AgentDaemon(Store, Config ?? throw new InvalidOperationException("not enrolled"), _platform, TimeProvider.System, Signals, new AgentDaemonOptions { ServeVerify = false, TrimMemoryWhenIdle = false });
        _run = Task.Run(() => _daemon.RunAsync(cancellationToken), CancellationToken.None);
    }

    /// <summary>How many users the applied state holds with an unsealed secret.</summary>
    public int UnsealedUsers() => Store.Load()?.Users.Count(u => u.Secret.Length > 0) ?? 0;

    public async ValueTask DisposeAsync()
    {
        if (_run is not null)
        {
            await _run;
        }

        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }

        Signals.Dispose();
    }
}
