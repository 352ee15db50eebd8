using System.Globalization;
using FleetMfa.Agent.Cli;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Tests.Cli;

/// <summary><c>fleetmfa-agent verify</c> as a process, on the real clock, as PAM calls it (DESIGN §5 exit codes).</summary>
public sealed class VerifyCommandTests : IDisposable
{
    private static readonly byte[] _secret = TestTotp.Secret("cli alice");

    private readonly TestStore _store = new();

    public VerifyCommandTests()
    {
        _store.Enroll();
        _store.SaveState(3, true, new LocalUser("alice", "alice", 1, _secret));
    }

    private Task<AgentResult> VerifyAsync(string user, string stdin) =>
        AgentProcess.RunAsync(stdin, "verify", "--user", user, "--data-dir", _store.DataDirectory);

    private static string CurrentCode() => TestTotp.CodeAt(_secret, DateTimeOffset.UtcNow);

    private static string WrongCode() => TestTotp.WrongCodeAt(_secret, DateTimeOffset.UtcNow);

    [Fact]
    public async Task A_valid_code_exits_0()
    {
        var result = await VerifyAsync("alice", CurrentCode() + "\n");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Equal(AuditOutcome.Accepted, Assert.Single(_store.Store.PeekAudit(10)).Outcome);
    }

    [Fact]
    public async Task A_code_without_a_newline_is_read() =>
        Assert.Equal(ExitCodes.Ok, (await VerifyAsync("alice", CurrentCode())).ExitCode);

    [Fact]
    public async Task A_code_ended_by_crlf_is_read() =>
        Assert.Equal(ExitCodes.Ok, (await VerifyAsync("alice", CurrentCode() + "\r\n")).ExitCode);

    [Fact]
    public async Task A_wrong_code_exits_1()
    {
        var result = await VerifyAsync("alice", WrongCode() + "\n");

        Assert.True(result.ExitCode == ExitCodes.Rejected, result.ToString());
        Assert.Single(_store.Ledger("alice").Failures);
    }

    [Fact]
    public async Task Replayed_code_exits_1()
    {
        var code = CurrentCode();
        Assert.Equal(ExitCodes.Ok, (await VerifyAsync("alice", code + "\n")).ExitCode);

        Assert.Equal(ExitCodes.Rejected, (await VerifyAsync("alice", code + "\n")).ExitCode);
    }

    [Fact]
    public async Task Empty_input_exits_1()
    {
        Assert.Equal(ExitCodes.Rejected, (await VerifyAsync("alice", "")).ExitCode);
        Assert.Equal(ExitCodes.Rejected, (await VerifyAsync("alice", "\n")).ExitCode);
    }

    [Fact]
    public async Task Five_wrong_codes_lock_out_with_exit_3()
    {
        for (var i = 0; i < 5; i++)
        {
            var wrong = await VerifyAsync("alice", WrongCode() + "\n");
            Assert.True(wrong.ExitCode == ExitCodes.Rejected, $"attempt {i + 1}: {wrong}");
        }

        var result = await VerifyAsync("alice", CurrentCode() + "\n");

        Assert.True(result.ExitCode == ExitCodes.LockedOut, result.ToString());
    }

    [Fact]
    public async Task A_user_the_device_does_not_prompt_exits_0()
    {
        var result = await VerifyAsync("root", "\n");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
    }

    [Fact]
    public async Task With_mfa_off_any_input_exits_0()
    {
        _store.SaveState(4, false, new LocalUser("alice", "alice", 1, _secret));

        Assert.Equal(ExitCodes.Ok, (await VerifyAsync("alice", "nope\n")).ExitCode);
    }

    [Fact]
    public async Task A_long_line_on_stdin_is_rejected_not_a_crash()
    {
        var result = await VerifyAsync("alice", new string('7', 1000) + "\n");

        Assert.True(result.ExitCode == ExitCodes.Rejected, result.ToString());
        Assert.DoesNotContain("Unhandled", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_valid_code_followed_by_junk_on_the_same_line_is_rejected()
    {
        var result = await VerifyAsync("alice", CurrentCode() + new string(' ', 20) + "x\n");

        Assert.Equal(ExitCodes.Rejected, result.ExitCode);
    }

    [Fact]
    public async Task A_corrupted_state_file_exits_2_never_0()
    {
        var path = _store.PathOf("state.bin");
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var result = await VerifyAsync("alice", CurrentCode() + "\n");

        Assert.True(result.ExitCode == ExitCodes.UsageOrStoreError, result.ToString());
    }

    [Fact]
    public async Task A_missing_state_file_exits_2_never_0()
    {
        _store.DeleteState();

        var forAlice = await VerifyAsync("alice", CurrentCode() + "\n");
        var forRoot = await VerifyAsync("root", "\n");

        Assert.True(forAlice.ExitCode == ExitCodes.UsageOrStoreError, forAlice.ToString());
        Assert.True(forRoot.ExitCode == ExitCodes.UsageOrStoreError, forRoot.ToString());
        Assert.Empty(_store.Store.PeekAudit(10));
    }

    [Fact]
    public async Task A_login_spelled_otherwise_with_a_bound_users_uid_is_that_user_with_one_ledger()
    {
        // The second bound user is this process's own account: the real user database (NSS) resolves its uid.
        var secret = TestTotp.Secret("cli me");
        var me = Environment.UserName;
        _store.SaveState(4, true, new LocalUser("alice", "alice", 1, _secret), new LocalUser("me", me, 1, secret));
        var uid = ProcessUser.EffectiveUid().ToString(CultureInfo.InvariantCulture);
        var code = TestTotp.CodeAt(secret, DateTimeOffset.UtcNow);

        var alias = await AgentProcess.RunAsync(code + "\n", "verify", "--user", "fleetmfa-alias-of-me", "--uid", uid, "--data-dir", _store.DataDirectory);
        var replay = await VerifyAsync(me, code + "\n");

        Assert.True(alias.ExitCode == ExitCodes.Ok, alias.ToString());
        Assert.True(replay.ExitCode == ExitCodes.Rejected, replay.ToString());
        Assert.Equal([(AuditOutcome.Accepted, me), (AuditOutcome.Rejected, me)], _store.Store.PeekAudit(10).Select(e => (e.Outcome, e.LocalUsername)));
        Assert.Single(_store.Ledger(me).Failures);
        Assert.False(File.ReadAllText(_store.PathOf("ledger.json")).Contains("fleetmfa-alias-of-me", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_a_uid_another_spelling_is_not_the_bound_user()
    {
        var result = await VerifyAsync("ALICE", "\n");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Equal(AuditOutcome.NotRequired, Assert.Single(_store.Store.PeekAudit(10)).Outcome);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("4294967295")]
    [InlineData("99999999999")]
    [InlineData("")]
    [InlineData("+5")]
    [InlineData(" 5")]
    [InlineData("5 ")]
    [InlineData("0x10")]
    [InlineData("1e3")]
    [InlineData("alice")]
    [InlineData("١٢")]
    public async Task A_uid_that_is_not_a_decimal_uid_is_a_usage_error(string uid)
    {
        var verify = await AgentProcess.RunAsync(CurrentCode() + "\n", "verify", "--user", "alice", "--uid", uid, "--data-dir", _store.DataDirectory);
        var check = await AgentProcess.RunAsync(null, "verify", "--user", "alice", "--uid", uid, "--check-required", "--data-dir", _store.DataDirectory);

        Assert.True(verify.ExitCode == ExitCodes.UsageOrStoreError, verify.ToString());
        Assert.True(check.ExitCode == ExitCodes.UsageOrStoreError, check.ToString());
        Assert.Contains("--uid", verify.Stderr, StringComparison.Ordinal);
        Assert.Empty(_store.Store.PeekAudit(10));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("4294967294")]
    [InlineData("007")]
    public async Task The_whole_uid_range_is_taken(string uid)
    {
        var result = await AgentProcess.RunAsync(CurrentCode() + "\n", "verify", "--user", "alice", "--uid", uid, "--data-dir", _store.DataDirectory);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
    }

    [Fact]
    public async Task Verify_honours_the_configured_lockout_threshold()
    {
        _store.Enroll(new VerificationSettings(MaxFailures: 1, WindowSeconds: 300));
        Assert.Equal(ExitCodes.Rejected, (await VerifyAsync("alice", WrongCode() + "\n")).ExitCode);

        Assert.Equal(ExitCodes.LockedOut, (await VerifyAsync("alice", CurrentCode() + "\n")).ExitCode);
    }

    public void Dispose() => _store.Dispose();
}
