using FleetMfa.Testing.Fleet;

namespace FleetMfa.Testing.Agents;

/// <summary>N in-process agents, each with its own data directory under a work folder and its own MQTT session.</summary>
public sealed class AgentFleet : IAsyncDisposable
{
    private readonly string _root;
    private readonly CancellationTokenSource _stop = new();

    /// <summary>
    /// Agents named <c>{hostnamePrefix}-000000</c>, … with data directories under <paramref name="workDirectory"/>/agents,
    /// or — without one — in a scratch folder of their own on tmpfs (<c>/dev/shm</c>, where there is one: thousands of
    /// stores written at once), removed on dispose.
    /// </summary>
    public AgentFleet(string? workDirectory, int count, string hostnamePrefix = "load")
    {
        _root = workDirectory is not null
            ? Path.Combine(workDirectory, "agents")
            : Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"fleetmfa-agents-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_root);
        Agents = Enumerable.Range(0, count)
            .Select(i => new InProcessAgent(Path.Combine(_root, $"a{i:D6}"), $"{hostnamePrefix}-{i:D6}"))
            .ToArray();
    }

    public IReadOnlyList<InProcessAgent> Agents { get; }

    public IReadOnlyList<string> DeviceIds => Agents.Select(a => a.DeviceId).ToArray();

    /// <summary>
    /// Enrolls every agent, <paramref name="concurrency"/> at a time; agent i through <c>servers[i % servers.Count]</c>
    /// (the silos' https:// agent endpoints).
    /// </summary>
    public Task EnrollAsync(IReadOnlyList<Uri> servers, string connectKey, int concurrency, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(servers);
        return Parallel.ForEachAsync(
            Agents.Select((agent, i) => (agent, server: servers[i % servers.Count])),
            new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (a, ct) => await a.agent.EnrollAsync(a.server, connectKey, ct));
    }

    /// <summary>Starts every daemon, at most <paramref name="perSecond"/> a second (a fleet does not boot in the same millisecond).</summary>
    public async Task StartAsync(int perSecond, CancellationToken cancellationToken = default)
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

    /// <summary>
    /// <paramref name="count"/> agents of <paramref name="org"/>, enrolled through <paramref name="servers"/> (agent endpoints) in turn,
    /// with <paramref name="boundUser"/> (an enrolled user of the org) bound on every device, started, and each
    /// connected and holding its first desired state within <paramref name="deadline"/>.
    /// </summary>
    public static async Task<AgentFleet> StartAsync(TestOrg org, FleetClient api, IReadOnlyList<Uri> servers, int count, string hostnamePrefix, string boundUser, TimeSpan deadline)
    {
        ArgumentNullException.ThrowIfNull(org);
        ArgumentNullException.ThrowIfNull(api);
        var fleet = new AgentFleet(workDirectory: null, count, hostnamePrefix);
        try
        {
            await fleet.EnrollAsync(servers, org.ConnectKey, concurrency: 8);
            await org.BindEverywhereAsync(api, boundUser, fleet.DeviceIds, concurrency: 8);
            await fleet.StartAsync(perSecond: 200);
            await Poll.UntilAsync(
                () => fleet.Count(s => s.SubscribedAt != 0 && s.Applied > 0) == count,
                $"every one of {count} agents connected and applied its first desired state",
                deadline);
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

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
