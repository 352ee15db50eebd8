namespace FleetMfa.Agent.Daemon;

/// <summary>How an <see cref="AgentDaemon"/> shares its process; the defaults are the device's: one daemon, alone.</summary>
public sealed class AgentDaemonOptions
{
    /// <summary>
    /// Serve <c>verify.sock</c>. Off in the load generator, which runs thousands of daemons in one process: the socket
    /// costs each a descriptor (<c>verify</c> then decides from the store directly).
    /// </summary>
    public bool ServeVerify { get; init; } = true;

    /// <summary>
    /// Hand the GC heap back to the operating system once work is done (<see cref="IdleMemoryTrim"/>). It collects the
    /// whole process, so only a daemon that has the process to itself may do it.
    /// </summary>
    public bool TrimMemoryWhenIdle { get; init; } = true;

    /// <summary>
    /// How often the daemon checks that the applied OS policy is still in force and repairs drift
    /// (<c>FLEETMFA_POLICY_CHECK_INTERVAL</c>, seconds; default 5 minutes). It also checks at start and a second after
    /// a change in the directories the platform watches.
    /// </summary>
    public TimeSpan PolicyCheckInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A device's defaults, with <see cref="PolicyCheckInterval"/> from <c>FLEETMFA_POLICY_CHECK_INTERVAL</c> when set.</summary>
    public static AgentDaemonOptions FromEnvironment()
    {
        var interval = Environment.GetEnvironmentVariable("FLEETMFA_POLICY_CHECK_INTERVAL");
        if (string.IsNullOrEmpty(interval))
        {
            return new AgentDaemonOptions();
        }

        return int.TryParse(interval, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds is >= 1 and <= 86_400
            ? new AgentDaemonOptions { PolicyCheckInterval = TimeSpan.FromSeconds(seconds) }
            : throw new InvalidOperationException($"FLEETMFA_POLICY_CHECK_INTERVAL must be a number of seconds from 1 to 86400, not '{interval}'");
    }
}
