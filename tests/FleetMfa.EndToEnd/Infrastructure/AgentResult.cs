namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>How one <c>fleetmfa-agent</c> command ended: its exit code and its output (stdout and stderr).</summary>
public sealed record AgentResult(int ExitCode, string Output);
