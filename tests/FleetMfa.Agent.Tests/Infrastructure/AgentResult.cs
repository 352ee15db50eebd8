namespace FleetMfa.Agent.Tests.Infrastructure;

public sealed record AgentResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}; stdout: {Stdout}; stderr: {Stderr}";
}
