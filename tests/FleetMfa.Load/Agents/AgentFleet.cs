using FleetMfa.Load.Fleet;
using FleetMfa.Load.Measurement;

namespace FleetMfa.Load.Agents;

/// <summary>N simulated agents, each with its own data directory under a tmpfs work folder and its own MQTT session.</summary>
public sealed class AgentFleet : IAsyncDisposable
{
    private readonly string _root;
    private readonly CancellationTokenSource _stop = new();

    public AgentFleet(string workDirectory, int count)
    {
        _root = Path.Combine(workDirectory, "agents");
        Directory.CreateDirectory(_root);
        Agents = Enumerable.Range(0, count)
            .Select(i => new SimulatedAgent(Path.Combine(_root, $"a{i:D6}"), $"load-{i:D6}"))
            .ToArray();
    }

    public IReadOnlyList<SimulatedAgent> Agents { get; }

    public IReadOnlyList<string> DeviceIds => Agents.Select(a => a.DeviceId).ToArray();

    public Task<TimeSpan> EnrollAsync(FleetClient api, string connectKey, int concurrency, CancellationToken cancellationToken) =>
        Progress.ForEachAsync(
            "enrolled agents",
            Agents,
            concurrency,
            async (agent, ct) =>
            {
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        await agent.EnrollAsync(api.Api, connectKey, api.Anonymous, ct);
                        return;
                    }
                    catch (FleetMfa.Agent.Enrollment.EnrollmentException ex) when (attempt < 3 && ex.Message.Contains("(5", StringComparison.Ordinal))
                    {
                        // A server error: the device may exist half-registered; enrolling again registers a new one.
                        Progress.Say($"agent enrollment retried: {ex.Message[..Math.Min(ex.Message.Length, 160)]}");
                    }
                }
            },
            cancellationToken);

    /// <summary>Starts every daemon, at most <paramref name="perSecond"/> a second (a fleet does not boot in the same millisecond).</summary>
    public async Task StartAsync(int perSecond, CancellationToken cancellationToken)
    {
        var batch = Math.Max(1, perSecond / 10);
        for (var i = 0; i < Agents.Count; i++)
        {
            Agents[i].Start(_stop.Token);
            if ((i + 1) % batch == 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
        }
    }

    public int Count(Func<AgentSignals, bool> predicate) => Agents.Count(a => predicate(a.Signals));

    public Task<TimeSpan> WaitForAsync(string what, Func<AgentSignals, bool> predicate, TimeSpan timeout, CancellationToken cancellationToken) =>
        Progress.WaitForAsync(what, () => Task.FromResult(Count(predicate)), Agents.Count, timeout, TimeSpan.FromMilliseconds(100), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var agent in Agents)
        {
            await agent.DisposeAsync();
        }

        _stop.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}
