namespace FleetMfa.EndToEnd.Packaging;

/// <summary>How a command that ran to completion ended: its exit code and everything it printed.</summary>
public sealed record CommandResult(int ExitCode, string Output);
