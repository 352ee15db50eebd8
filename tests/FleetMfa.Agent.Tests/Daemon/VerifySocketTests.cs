using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using FleetMfa.Agent.Cli;
using FleetMfa.Agent.Daemon;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Agent.Verification;
using FleetMfa.Protocol.Documents;
using Microsoft.Extensions.Time.Testing;

namespace FleetMfa.Agent.Tests.Daemon;

/// <summary>
/// <c>fleetmfa-agent verify</c> (a real process, as PAM runs it) against the daemon's local socket: the daemon decides
/// when it listens, replay and lockout are one ledger across the socket and the direct path, a missing or refusing
/// daemon means a direct decision, and anything but a well-formed request from root or the owner gets no answer.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class VerifySocketTests : IAsyncDisposable
{
    private static readonly byte[] _secret = TestTotp.Secret("socket alice");

    /// <summary>A fixed instant far from now: a code of that time is accepted only by a daemon on this clock.</summary>
    private static readonly DateTimeOffset _fakeNow = new(2026, 1, 5, 9, 0, 10, TimeSpan.Zero);

    private readonly TestStore _store = new();
    private readonly ListLogger _log = new();
    private readonly List<VerifyServer> _servers = [];

    public VerifySocketTests()
    {
        _store.Enroll();
        _store.SaveState(3, true, new LocalUser("alice", "alice", 1, _secret));
    }

    private string SocketPath => VerifyWire.SocketPath(_store.DataDirectory);

    private VerifyServer StartServer(TimeProvider? time = null, Func<uint, bool>? isAllowedUser = null, TimeSpan? requestTimeout = null, IUserDirectory? users = null)
    {
        var server = new VerifyServer(_store.Store, new CachedSecretStore(_store.Store), time ?? TimeProvider.System, _log, isAllowedUser, requestTimeout: requestTimeout, users: users);
        Assert.True(server.Start(), string.Join(Environment.NewLine, _log.Lines));
        _servers.Add(server);
        return server;
    }

    private async Task StopAsync(VerifyServer server)
    {
        _servers.Remove(server);
        await server.DisposeAsync();
    }

    private Task<AgentResult> VerifyAsync(string code) =>
        AgentProcess.RunAsync(code + "\n", "verify", "--user", "alice", "--data-dir", _store.DataDirectory);

    private static string CodeNow() => TestTotp.CodeAt(_secret, DateTimeOffset.UtcNow);

    private static string WrongNow() => TestTotp.WrongCodeAt(_secret, DateTimeOffset.UtcNow);

    [Fact]
    public async Task The_socket_is_owner_only_and_gone_when_the_daemon_stops()
    {
        var server = StartServer();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SocketPath));
        await StopAsync(server);

        Assert.False(File.Exists(SocketPath));
    }

    [Fact]
    public async Task With_the_daemon_listening_it_decides()
    {
        // The daemon's clock is months away from the real one: only it can accept a code of its own time.
        var clock = new FakeTimeProvider(_fakeNow);
        var server = StartServer(clock);

        var result = await VerifyAsync(TestTotp.CodeAt(_secret, _fakeNow));

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Equal(1, server.Served);
        var audit = Assert.Single(_store.Store.PeekAudit(10));
        Assert.Equal((AuditOutcome.Accepted, _fakeNow), (audit.Outcome, audit.At));
    }

    [Fact]
    public async Task The_daemon_matches_a_login_by_uid_as_a_direct_verify_does()
    {
        // Only the daemon's clock accepts the code, and only its user database knows alice's uid.
        var clock = new FakeTimeProvider(_fakeNow);
        var server = StartServer(clock, users: new InMemoryUserDirectory().Add("alice", 1001));
        var code = TestTotp.CodeAt(_secret, _fakeNow);

        var alias = await AgentProcess.RunAsync(code + "\n", "verify", "--user", "ALICE", "--uid", "1001", "--data-dir", _store.DataDirectory);
        var replay = await AgentProcess.RunAsync(code + "\n", "verify", "--user", "alice", "--data-dir", _store.DataDirectory);

        Assert.True(alias.ExitCode == ExitCodes.Ok, alias.ToString());
        Assert.True(replay.ExitCode == ExitCodes.Rejected, replay.ToString());
        Assert.Equal(2, server.Served);
        Assert.Equal([(AuditOutcome.Accepted, "alice"), (AuditOutcome.Rejected, "alice")], _store.Store.PeekAudit(10).Select(e => (e.Outcome, e.LocalUsername)));
    }

    [Fact]
    public async Task The_daemon_answers_a_request_with_a_uid_no_bound_user_has_as_not_required()
    {
        var server = StartServer(users: new InMemoryUserDirectory().Add("alice", 1001));

        var result = await AgentProcess.RunAsync("\n", "verify", "--user", "ALICE", "--uid", "1002", "--data-dir", _store.DataDirectory);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Equal(1, server.Served);
        var audit = Assert.Single(_store.Store.PeekAudit(10));
        Assert.Equal((AuditOutcome.NotRequired, "ALICE"), (audit.Outcome, audit.LocalUsername));
    }

    [Fact]
    public async Task A_daemon_whose_state_bin_is_gone_decides_nothing_and_verify_exits_2()
    {
        // The daemon has the state decrypted and cached; the file goes away underneath it.
        var server = StartServer();
        Assert.Equal(ExitCodes.Ok, (await VerifyAsync(CodeNow())).ExitCode);
        _store.DeleteState();

        var reply = await RawSocketClient.ExchangeAsync(SocketPath, VerifyWire.EncodeRequest("root", "123456")!);
        var forAlice = await VerifyAsync(WrongNow());
        var forRoot = await AgentProcess.RunAsync("\n", "verify", "--user", "root", "--data-dir", _store.DataDirectory);

        Assert.Equal(VerifyWire.EncodeReply(VerifyWire.StoreError), reply);
        Assert.True(forAlice.ExitCode == ExitCodes.UsageOrStoreError, forAlice.ToString());
        Assert.True(forRoot.ExitCode == ExitCodes.UsageOrStoreError, forRoot.ToString());
        Assert.Equal([AuditOutcome.Accepted], _store.Store.PeekAudit(10).Select(e => e.Outcome));
        Assert.Contains(_log.Lines, l => l.Contains("state.bin is missing", StringComparison.Ordinal));
        Assert.Equal(4, server.Served);
    }

    [Fact]
    public async Task The_daemon_answers_every_exit_code_of_the_contract()
    {
        _store.Enroll(new VerificationSettings(MaxFailures: 1, WindowSeconds: 300));
        var server = StartServer();

        Assert.Equal(ExitCodes.Ok, (await AgentProcess.RunAsync("x\n", "verify", "--user", "root", "--data-dir", _store.DataDirectory)).ExitCode);
        Assert.Equal(ExitCodes.Rejected, (await VerifyAsync(WrongNow())).ExitCode);
        Assert.Equal(ExitCodes.LockedOut, (await VerifyAsync(CodeNow())).ExitCode);
        Assert.Equal(3, server.Served);
    }

    [Fact]
    public async Task A_code_accepted_through_the_daemon_is_a_replay_for_a_direct_verify()
    {
        var server = StartServer();
        var code = CodeNow();
        Assert.Equal(ExitCodes.Ok, (await VerifyAsync(code)).ExitCode);
        await StopAsync(server);

        var direct = await VerifyAsync(code);

        Assert.True(direct.ExitCode == ExitCodes.Rejected, direct.ToString());
        Assert.Equal(1, server.Served);
        Assert.Equal([AuditOutcome.Accepted, AuditOutcome.Rejected], _store.Store.PeekAudit(10).Select(e => e.Outcome));
    }

    [Fact]
    public async Task A_code_accepted_directly_is_a_replay_for_the_daemon()
    {
        var code = CodeNow();
        Assert.Equal(ExitCodes.Ok, (await VerifyAsync(code)).ExitCode);
        var server = StartServer();

        var viaDaemon = await VerifyAsync(code);

        Assert.True(viaDaemon.ExitCode == ExitCodes.Rejected, viaDaemon.ToString());
        Assert.Equal(1, server.Served);
    }

    [Fact]
    public async Task Failures_through_the_daemon_and_directly_add_up_to_one_lockout()
    {
        var server = StartServer();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(ExitCodes.Rejected, (await VerifyAsync(WrongNow())).ExitCode);
        }

        await StopAsync(server);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(ExitCodes.Rejected, (await VerifyAsync(WrongNow())).ExitCode);
        }

        Assert.Equal(ExitCodes.LockedOut, (await VerifyAsync(CodeNow())).ExitCode);
        var again = StartServer();
        Assert.Equal(ExitCodes.LockedOut, (await VerifyAsync(CodeNow())).ExitCode);
        Assert.Equal((3, 1), (server.Served, again.Served));
        Assert.Equal(5, _store.Ledger("alice").Failures.Count);
    }

    [Fact]
    public async Task A_stale_socket_with_no_daemon_behind_it_means_a_direct_decision()
    {
        // What a killed daemon leaves behind: the socket file, nobody listening. (A disposed socket removes the path
        // it was bound to, so bind elsewhere and move the socket into place.)
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            dead.Bind(new UnixDomainSocketEndPoint(SocketPath + ".dead"));
            File.Move(SocketPath + ".dead", SocketPath);
        }

        Assert.True(File.Exists(SocketPath));
        var code = CodeNow();

        Assert.Equal(ExitCodes.Ok, (await VerifyAsync(code)).ExitCode);
        Assert.Equal(ExitCodes.Rejected, (await VerifyAsync(code)).ExitCode);
        Assert.Equal(2, _store.Store.PeekAudit(10).Count);
    }

    [Fact]
    public async Task A_refused_client_is_not_served_and_verify_decides_directly()
    {
        var server = StartServer(isAllowedUser: _ => false);
        var code = CodeNow();

        var result = await VerifyAsync(code);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Equal((0, 1), (server.Served, server.Refused));
        Assert.Single(_store.Store.PeekAudit(10));
        Assert.Contains(_log.Lines, l => l.Contains("refused a verify connection from uid", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Another_user_on_the_machine_is_refused_by_peer_credentials()
    {
        // Open the directory and the socket to everyone, so that only SO_PEERCRED stands between them and the daemon.
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv"))
        {
            return;
        }

        var server = StartServer();
        var root = Path.GetDirectoryName(_store.DataDirectory)!;
        var agent = CopyAgentWhereEveryoneCanRunIt();
        File.SetUnixFileMode(root, (UnixFileMode)0b111_001_001);
        File.SetUnixFileMode(_store.DataDirectory, (UnixFileMode)0b111_111_111);
        File.SetUnixFileMode(SocketPath, (UnixFileMode)0b110_110_110);
        try
        {
            var nobody = await AgentProcess.RunProgramAsync(
                "/usr/bin/setpriv", CodeNow() + "\n", "--reuid=65534", "--regid=65534", "--clear-groups", "--", Path.Combine(agent.FullName, Path.GetFileName(AgentProcess.Executable)),
                "verify", "--user", "alice", "--data-dir", _store.DataDirectory);

            // Refused by the daemon, then unable to read the store itself: a store error, never a decision.
            Assert.True(nobody.ExitCode == ExitCodes.UsageOrStoreError, nobody.ToString());
            Assert.Equal((0, 1), (server.Served, server.Refused));
            Assert.Contains(_log.Lines, l => l.Contains("from uid 65534", StringComparison.Ordinal));
            Assert.Empty(_store.Store.PeekAudit(10));
        }
        finally
        {
            File.SetUnixFileMode(_store.DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            agent.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The build output may sit below a directory only its owner can enter (a CI checkout in a 0700 temp folder):
    /// a copy of the agent in a world-readable temp folder lets another user start it.
    /// </summary>
    private static DirectoryInfo CopyAgentWhereEveryoneCanRunIt()
    {
        const UnixFileMode everyone = (UnixFileMode)0b111_101_101;
        var copy = Directory.CreateTempSubdirectory("fleetmfa-agent-");
        File.SetUnixFileMode(copy.FullName, everyone);
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(AgentProcess.Executable)!))
        {
            var target = Path.Combine(copy.FullName, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, everyone);
        }

        return copy;
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "text", Encoding.ASCII.GetBytes("alice 123456\n") },
        { "empty", [] },
        { "magic only", "FMV1"u8.ToArray() },
        { "wrong magic", [.. "FMV9"u8, 5, .. "alice"u8, 6, .. "123456"u8] },
        { "v2 without its uid", [.. "FMV2"u8, 5, .. "alice"u8, 6, .. "123456"u8] },
        { "v2 with uid (uid_t)-1", [.. "FMV2"u8, 5, .. "alice"u8, 6, .. "123456"u8, 0xFF, 0xFF, 0xFF, 0xFF] },
        { "user longer than sent", [.. "FMV1"u8, 50, .. "alice"u8, 6, .. "123456"u8] },
        { "empty user", [.. "FMV1"u8, 0, 6, .. "123456"u8] },
        { "trailing bytes", [.. "FMV1"u8, 5, .. "alice"u8, 6, .. "123456"u8, 0] },
        { "code too long", [.. "FMV1"u8, 5, .. "alice"u8, 200, .. new byte[200]] },
        { "invalid UTF-8", [.. "FMV1"u8, 2, 0xC3, 0x28, 6, .. "123456"u8] },
        { "oversized", [.. "FMV1"u8, 5, .. "alice"u8, 6, .. "123456"u8, .. new byte[64 * 1024]] },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_malformed_or_oversized_request_gets_no_answer_and_changes_nothing(string name, byte[] request)
    {
        var server = StartServer();

        var reply = await RawSocketClient.ExchangeAsync(SocketPath, request);

        Assert.True(reply.Length == 0, $"{name}: the daemon answered {reply.Length} bytes");
        Assert.Equal((0, 1), (server.Served, server.Refused));
        Assert.Empty(_store.Store.PeekAudit(10));
        Assert.Empty(_store.Ledger("alice").Failures);

        // Still serving the next one.
        Assert.Equal(ExitCodes.Ok, (await VerifyAsync(CodeNow())).ExitCode);
    }

    [Fact]
    public async Task A_silent_client_is_dropped_after_the_request_timeout_without_holding_up_others()
    {
        var clock = new FakeTimeProvider(_fakeNow);
        var server = StartServer(clock, requestTimeout: TimeSpan.FromSeconds(2));
        using var silent = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await silent.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath));

        Assert.Equal(ExitCodes.Ok, (await VerifyAsync(TestTotp.CodeAt(_secret, _fakeNow))).ExitCode);
        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.Empty(await RawSocketClient.ReadToEndAsync(silent));
        Assert.Equal((1, 1), (server.Served, server.Refused));
    }

    [Fact]
    public async Task The_same_code_from_parallel_verifies_over_both_paths_is_accepted_once()
    {
        // Every other connection is refused, so half the processes decide through the daemon and half directly. The
        // lockout threshold is raised so that it does not interfere with the counting.
        _store.Enroll(new VerificationSettings(MaxFailures: 100, WindowSeconds: 300));
        var connection = 0;
        var server = StartServer(isAllowedUser: _ => Interlocked.Increment(ref connection) % 2 == 0);
        var code = CodeNow();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => VerifyAsync(code)));

        Assert.Equal(1, results.Count(r => r.ExitCode == ExitCodes.Ok));
        Assert.All(results, r => Assert.True(r.ExitCode is ExitCodes.Ok or ExitCodes.Rejected, r.ToString()));
        Assert.True(server.Served > 0 && server.Refused > 0, $"served {server.Served}, refused {server.Refused}");
        Assert.Equal(8, _store.Store.PeekAudit(100).Count);
        Assert.Single(_store.Store.PeekAudit(100), e => e.Outcome == AuditOutcome.Accepted);
    }

    [Fact]
    public async Task No_code_reaches_the_log()
    {
        var server = StartServer(isAllowedUser: uid => uid != 0);
        var code = CodeNow();
        await VerifyAsync(code);
        await StopAsync(server);
        StartServer();
        await RawSocketClient.ExchangeAsync(SocketPath, [.. "FMV1"u8, 5, .. "alice"u8, 6, .. Encoding.ASCII.GetBytes(code), 0]);
        await VerifyAsync(code);
        await VerifyAsync(WrongNow());

        Assert.NotEmpty(_log.Lines);
        Assert.DoesNotContain(_log.Lines, l => l.Contains(code, StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        _store.Dispose();
    }
}
