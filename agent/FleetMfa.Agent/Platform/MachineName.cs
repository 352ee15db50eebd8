namespace FleetMfa.Agent.Platform;

public static class MachineName
{
    /// <summary>The machine name, or <c>FLEETMFA_AGENT_HOSTNAME</c> (several agents on one machine: demos, load tests).</summary>
    public static string Current() => Environment.GetEnvironmentVariable("FLEETMFA_AGENT_HOSTNAME") is { Length: > 0 } name ? name : Environment.MachineName;
}
