using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.Versioning;
using FleetMfa.Agent.Cli;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Agent.Verification;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Tests.Cli;

/// <summary>
/// <c>pam_fleetmfa</c> kills <c>verify</c> after <see cref="VerifyClient.PamModuleTimeout"/>: the wait for the daemon
/// and then for the store lock must fit inside it, so that a daemon that does not answer still leaves time for the
/// direct decision the README promises.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class VerifyTimeBudgetTests : IDisposable
{
    private static readonly byte[] _secret = TestTotp.Secret("budget alice");

    private readonly TestStore _store = new();

    public VerifyTimeBudgetTests()
    {
        _store.Enroll();
        _store.SaveState(1, true, new LocalUser("alice", "alice", 1, _secret));
    }

    [Fact]
    public void The_daemon_wait_and_the_store_lock_wait_fit_in_the_pam_modules_timeout_with_a_second_to_spare() =>
        Assert.True(
            VerifyClient.DefaultTimeout + AgentStore.LockWait + TimeSpan.FromSeconds(1) <= VerifyClient.PamModuleTimeout,
            $"daemon {VerifyClient.DefaultTimeout} + lock {AgentStore.LockWait} vs PAM {VerifyClient.PamModuleTimeout}");

    [Fact]
    public async Task A_daemon_that_accepts_and_never_answers_still_gets_a_direct_decision_in_time()
    {
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(VerifyWire.SocketPath(_store.DataDirectory)));
        listener.Listen(8);
        var accepted = new List<Socket>();
        var accepting = AcceptForeverAsync(listener, accepted);
        var started = Stopwatch.GetTimestamp();

        var result = await AgentProcess.RunAsync(TestTotp.CodeAt(_secret, DateTimeOffset.UtcNow) + "\n", "verify", "--user", "alice", "--data-dir", _store.DataDirectory);

        var took = Stopwatch.GetElapsedTime(started);
        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.True(took < VerifyClient.PamModuleTimeout, $"verify took {took}");
        Assert.Equal(AuditOutcome.Accepted, Assert.Single(_store.Store.PeekAudit(10)).Outcome);
        lock (accepted)
        {
            Assert.Single(accepted);
            accepted.ForEach(s => s.Dispose());
        }

        listener.Dispose();
        await accepting;
    }

    private static async Task AcceptForeverAsync(Socket listener, List<Socket> accepted)
    {
        try
        {
            while (true)
            {
                var client = await listener.AcceptAsync();
                lock (accepted)
                {
                    accepted.Add(client);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The listener was closed: the test is over.
        }
    }

    public void Dispose() => _store.Dispose();
}
