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
}
