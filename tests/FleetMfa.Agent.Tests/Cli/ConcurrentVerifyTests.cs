using FleetMfa.Agent.Cli;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Tests.Cli;

/// <summary>
/// Parallel <c>fleetmfa-agent verify</c> processes against one store (DESIGN §5: concurrent calls must not lose a
/// replay or lockout update). The lockout threshold is raised so that it does not interfere with the counting.
/// </summary>
public sealed class ConcurrentVerifyTests : IDisposable
{
    private const int Processes = 8;

    private static readonly byte[] _secret = TestTotp.Secret("concurrent alice");

    private readonly TestStore _store = new();

    public ConcurrentVerifyTests()
    {
        _store.Enroll(new VerificationSettings(MaxFailures: 100, WindowSeconds: 300));
        _store.SaveState(1, true, new LocalUser("alice", "alice", 1, _secret));
    }

    private Task<AgentResult[]> VerifyInParallelAsync(string code) =>
        Task.WhenAll(Enumerable.Range(0, Processes).Select(_ =>
            AgentProcess.RunAsync(code + "\n", "verify", "--user", "alice", "--data-dir", _store.DataDirectory)));

    [Fact]
    public async Task The_same_valid_code_in_parallel_is_accepted_exactly_once()
    {
        var results = await VerifyInParallelAsync(TestTotp.CodeAt(_secret, DateTimeOffset.UtcNow));

        var exitCodes = results.Select(r => r.ExitCode).Order().ToList();
        Assert.True(
            exitCodes.SequenceEqual([ExitCodes.Ok, .. Enumerable.Repeat(ExitCodes.Rejected, Processes - 1)]),
            string.Join(Environment.NewLine, results.Select(r => r.ToString())));
        var audit = _store.Store.PeekAudit(100);
        Assert.Equal(Processes, audit.Count);
        Assert.Single(audit, e => e.Outcome == AuditOutcome.Accepted);
    }

    [Fact]
    public async Task Wrong_codes_in_parallel_are_all_counted()
    {
        var results = await VerifyInParallelAsync(TestTotp.WrongCodeAt(_secret, DateTimeOffset.UtcNow));

        Assert.All(results, r => Assert.True(r.ExitCode == ExitCodes.Rejected, r.ToString()));
        Assert.Equal(Processes, _store.Ledger("alice").Failures.Count);
        Assert.Equal(Processes, _store.Store.PeekAudit(100).Count(e => e.Outcome == AuditOutcome.Rejected));
    }

    public void Dispose() => _store.Dispose();
}
