using FleetMfa.Agent.Daemon;
using FleetMfa.Agent.Enrollment;
using FleetMfa.Agent.Store;

namespace FleetMfa.Testing.Agents;

/// <summary>
/// One device: the real agent code — <see cref="Enroller"/> through <c>POST /api/agent/enroll</c>, the
/// <see cref="AgentStore"/> in its own data directory, and the <see cref="AgentDaemon"/> with its own MQTT
/// session and credentials, applying every desired state it receives — inside this process, on a
/// <see cref="SimulatedPlatform"/> that enforces nothing. Thousands fit in one test or load process.
/// </summary>
public sealed class InProcessAgent : IAsyncDisposable
{
    private readonly SimulatedPlatform _platform;
    private AgentDaemon? _daemon;
    private Task? _run;

    public InProcessAgent(string dataDirectory, string hostname)
    {
        Store = new AgentStore(dataDirectory);
        _platform = new SimulatedPlatform(hostname);
    }

    public AgentStore Store { get; }

    public AgentSignals Signals { get; } = new();

    public AgentConfig? Config { get; private set; }

    public string DeviceId => Config?.DeviceId ?? throw new InvalidOperationException("not enrolled");

    /// <summary>
    /// Enrolls through <paramref name="server"/> (the silo's https:// agent endpoint; the connect key's CA pin is
    /// checked as a real agent does). A server error (5xx) is tried again, three attempts in all: the device may exist
    /// half-registered, and enrolling again registers a new one. Each retry is told to <paramref name="retried"/>.
    /// </summary>
    public async Task EnrollAsync(Uri server, string connectKey, CancellationToken cancellationToken, Action<string>? retried = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Config = await new Enroller(Store, _platform).EnrollAsync(server, connectKey, insecure: false, cancellationToken);
                return;
            }
            catch (EnrollmentException ex) when (attempt < 3 && ex.Message.Contains("(5", StringComparison.Ordinal))
            {
                retried?.Invoke($"agent enrollment retried: {ex.Message[..Math.Min(ex.Message.Length, 160)]}");
            }
        }
    }

    /// <summary>Runs the daemon until <paramref name="cancellationToken"/>, on <paramref name="time"/> (the system clock unless told).</summary>
    public void Start(CancellationToken cancellationToken, TimeProvider? time = null)
    {
        _daemon = new AgentDaemon(Store, Config ?? throw new InvalidOperationException("not enrolled"), _platform, time ?? TimeProvider.System, Signals, new AgentDaemonOptions { ServeVerify = false, TrimMemoryWhenIdle = false });
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
