using System.Text;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Agent.Verification;
using FleetMfa.Protocol.Documents;
using Microsoft.Extensions.Time.Testing;

namespace FleetMfa.Agent.Tests.Verification;

public sealed class CodeVerifierTests : IDisposable
{
    private const string Alice = "alice.l";
    private const string Bob = "bob";

    /// <summary>Ten seconds into a 30-second step.</summary>
    private static readonly DateTimeOffset _start = new(2026, 1, 5, 9, 0, 10, TimeSpan.Zero);
    private static readonly byte[] _aliceSecret = TestTotp.Secret("alice v1");
    private static readonly byte[] _aliceSecretV2 = TestTotp.Secret("alice v2");
    private static readonly byte[] _bobSecret = TestTotp.Secret("bob v1");

    private readonly TestStore _store = new();
    private readonly FakeTimeProvider _clock = new(_start);

    public CodeVerifierTests() => SaveUsers(mfa: true, aliceVersion: 1, _aliceSecret);

    private DateTimeOffset Now => _clock.GetUtcNow();

    private long StepNow => Rfc6238.StepAt(Now, 30);

    private void SaveUsers(bool mfa, int aliceVersion, byte[] aliceSecret) => _store.SaveState(
        aliceVersion,
        mfa,
        new LocalUser("alice", Alice, aliceVersion, aliceSecret),
        new LocalUser("bob", Bob, 1, _bobSecret));

    private VerifyOutcome Verify(string localUsername, string code, VerificationSettings? settings = null) =>
        new CodeVerifier(_store.Store, _store.Store, settings ?? VerificationSettings.Default, _clock).Verify(localUsername, code);

    private VerifyOutcome VerifyAlice(int stepOffset = 0) => Verify(Alice, TestTotp.CodeAt(_aliceSecret, Now, stepOffset));

    private void FailAlice(int times, TimeSpan? apart = null)
    {
        for (var i = 0; i < times; i++)
        {
            Assert.Equal(VerifyOutcome.Rejected, Verify(Alice, TestTotp.WrongCodeAt(_aliceSecret, Now)));
            _clock.Advance(apart ?? TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public void A_valid_code_is_accepted()
    {
        Assert.Equal(VerifyOutcome.Accepted, VerifyAlice());

        Assert.Equal(StepNow, _store.Ledger(Alice).LastAcceptedStep);
    }

    [Fact]
    public void A_wrong_code_is_rejected_and_counted()
    {
        Assert.Equal(VerifyOutcome.Rejected, Verify(Alice, TestTotp.WrongCodeAt(_aliceSecret, Now)));

        Assert.Equal([Now], _store.Ledger(Alice).Failures.Select(f => f.At));
    }

    [Fact]
    public void Replayed_code_is_rejected()
    {
        var code = TestTotp.CodeAt(_aliceSecret, Now);
        Assert.Equal(VerifyOutcome.Accepted, Verify(Alice, code));

        Assert.Equal(VerifyOutcome.Replayed, Verify(Alice, code));
        _clock.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(VerifyOutcome.Replayed, Verify(Alice, code));
    }

    [Fact]
    public void Replay_survives_a_new_verifier_and_store_instance()
    {
        var code = TestTotp.CodeAt(_aliceSecret, Now);
        Assert.Equal(VerifyOutcome.Accepted, Verify(Alice, code));

        var fresh = new AgentStore(_store.DataDirectory);
        Assert.Equal(VerifyOutcome.Replayed, new CodeVerifier(fresh, fresh, VerificationSettings.Default, _clock).Verify(Alice, code));
    }

    [Fact]
    public void A_code_of_an_earlier_step_is_rejected_once_a_later_one_was_accepted()
    {
        Assert.Equal(VerifyOutcome.Accepted, VerifyAlice(0));

        Assert.Equal(VerifyOutcome.Replayed, VerifyAlice(-1));
    }

    [Fact]
    public void The_current_code_is_rejected_once_the_next_steps_code_was_accepted()
    {
        Assert.Equal(VerifyOutcome.Accepted, VerifyAlice(1));

        Assert.Equal(VerifyOutcome.Replayed, VerifyAlice(0));
        Assert.Equal(StepNow + 1, _store.Ledger(Alice).LastAcceptedStep);
    }

    [Fact]
    public void Each_new_step_is_accepted_in_turn()
    {
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(VerifyOutcome.Accepted, VerifyAlice());
            _clock.Advance(TimeSpan.FromSeconds(30));
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void A_code_one_step_away_is_accepted(int stepOffset)
    {
        Assert.Equal(VerifyOutcome.Accepted, VerifyAlice(stepOffset));

        Assert.Equal(StepNow + stepOffset, _store.Ledger(Alice).LastAcceptedStep);
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(2)]
    public void A_code_two_steps_away_is_rejected(int stepOffset) => Assert.Equal(VerifyOutcome.Rejected, VerifyAlice(stepOffset));

    [Fact]
    public void Another_users_code_is_rejected() =>
        Assert.Equal(VerifyOutcome.Rejected, Verify(Alice, TestTotp.CodeAt(_bobSecret, Now)));

    [Fact]
    public void Nothing_is_required_when_mfa_is_off()
    {
        SaveUsers(mfa: false, aliceVersion: 1, _aliceSecret);

        Assert.Equal(VerifyOutcome.NotRequired, Verify(Alice, "not a code"));
        Assert.Empty(_store.Ledger(Alice).Failures);
    }

    [Fact]
    public void Nothing_is_required_of_a_user_the_device_does_not_prompt() =>
        Assert.Equal(VerifyOutcome.NotRequired, Verify("root", TestTotp.WrongCodeAt(_aliceSecret, Now)));

    [Fact]
    public void Local_usernames_match_exactly() =>
        Assert.Equal(VerifyOutcome.NotRequired, Verify("Alice.L", TestTotp.CodeAt(_aliceSecret, Now)));

    [Fact]
    public void Nothing_is_required_before_any_desired_state_was_applied()
    {
        using var enrolled = new TestStore();
        enrolled.Enroll();

        Assert.Equal(VerifyOutcome.NotRequired, new CodeVerifier(enrolled.Store, enrolled.Store, VerificationSettings.Default, _clock).Verify(Alice, "123456"));
    }

    [Fact]
    public void A_store_without_an_applied_state_is_an_error_not_a_decision()
    {
        _store.DeleteState();
        var verifier = new CodeVerifier(_store.Store, _store.Store, VerificationSettings.Default, _clock);

        Assert.Throws<InvalidOperationException>(() => verifier.Verify(Alice, TestTotp.CodeAt(_aliceSecret, Now)));
        Assert.Throws<InvalidOperationException>(() => verifier.Verify("root", "123456"));
        Assert.Throws<InvalidOperationException>(() => verifier.IsRequired("root", null));
        Assert.Empty(_store.Store.PeekAudit(10));
    }

    [Fact]
    public void A_store_whose_state_decrypts_to_nothing_is_an_error_not_a_decision()
    {
        File.WriteAllBytes(_store.PathOf("state.bin"), _store.Store.Protect("null"u8, "fleetmfa-agent/state/v1"));

        Assert.Throws<InvalidOperationException>(() => Verify("root", "123456"));
    }

    [Fact]
    public void Five_failures_within_five_minutes_lock_out_even_a_valid_code()
    {
        FailAlice(5, apart: TimeSpan.FromSeconds(50));

        Assert.Equal(VerifyOutcome.LockedOut, VerifyAlice());
        Assert.Equal(VerifyOutcome.LockedOut, Verify(Alice, TestTotp.WrongCodeAt(_aliceSecret, Now)));
    }

    [Fact]
    public void Four_failures_do_not_lock_out()
    {
        FailAlice(4);

        Assert.Equal(VerifyOutcome.Accepted, VerifyAlice());
    }

    [Fact]
    public void A_lockout_ends_when_the_failures_age_out_of_the_window()
    {
        FailAlice(5);
        Assert.Equal(VerifyOutcome.LockedOut, VerifyAlice());

        _clock.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(VerifyOutcome.Accepted, VerifyAlice());
        Assert.Empty(_store.Ledger(Alice).Failures);
    }

    [Fact]
    public void A_lockout_lasts_until_the_oldest_failure_is_five_minutes_old()
    {
        FailAlice(5);
        _clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(6));

        Assert.Equal(VerifyOutcome.LockedOut, VerifyAlice());
    }

    [Fact]
    public void Failures_spread_over_more_than_five_minutes_do_not_lock_out()
    {
        FailAlice(4);
        _clock.Advance(TimeSpan.FromMinutes(5));
        FailAlice(1);

        Assert.Equal(VerifyOutcome.Accepted, VerifyAlice());
    }

    [Fact]
    public void An_accepted_code_clears_earlier_failures()
    {
        FailAlice(4);
        Assert.Equal(VerifyOutcome.Accepted, VerifyAlice());
        _clock.Advance(TimeSpan.FromSeconds(30));
        FailAlice(4);

        Assert.Equal(VerifyOutcome.Accepted, VerifyAlice());
    }

    [Fact]
    public void The_lockout_threshold_and_window_are_configurable()
    {
        var strict = new VerificationSettings(MaxFailures: 2, WindowSeconds: 60);
        var wrong = TestTotp.WrongCodeAt(_aliceSecret, Now);
        Assert.Equal(VerifyOutcome.Rejected, Verify(Alice, wrong, strict));
        Assert.Equal(VerifyOutcome.Rejected, Verify(Alice, wrong, strict));

        Assert.Equal(VerifyOutcome.LockedOut, Verify(Alice, TestTotp.CodeAt(_aliceSecret, Now), strict));
        _clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(VerifyOutcome.Accepted, Verify(Alice, TestTotp.CodeAt(_aliceSecret, Now), strict));
    }

    [Fact]
    public void A_lockout_is_per_user()
    {
        FailAlice(5);

        Assert.Equal(VerifyOutcome.LockedOut, VerifyAlice());
        Assert.Equal(VerifyOutcome.Accepted, Verify(Bob, TestTotp.CodeAt(_bobSecret, Now)));
    }

    [Fact]
    public void Replay_is_per_user()
    {
        SaveUsers(mfa: true, aliceVersion: 1, _bobSecret);
        var code = TestTotp.CodeAt(_bobSecret, Now);

        Assert.Equal(VerifyOutcome.Accepted, Verify(Alice, code));
        Assert.Equal(VerifyOutcome.Accepted, Verify(Bob, code));
    }

    [Fact]
    public void A_new_secret_version_resets_replay()
    {
        Assert.Equal(VerifyOutcome.Accepted, VerifyAlice());
        SaveUsers(mfa: true, aliceVersion: 2, _aliceSecretV2);

        Assert.Equal(VerifyOutcome.Accepted, Verify(Alice, TestTotp.CodeAt(_aliceSecretV2, Now)));
        Assert.Equal((2, StepNow), (_store.Ledger(Alice).SecretVersion, _store.Ledger(Alice).LastAcceptedStep));
    }

    [Fact]
    public void A_new_secret_version_does_not_reset_failures()
    {
        FailAlice(5);
        SaveUsers(mfa: true, aliceVersion: 2, _aliceSecretV2);

        Assert.Equal(VerifyOutcome.LockedOut, Verify(Alice, TestTotp.CodeAt(_aliceSecretV2, Now)));
    }

    [Fact]
    public void The_old_secret_stops_working_after_rotation()
    {
        SaveUsers(mfa: true, aliceVersion: 2, _aliceSecretV2);

        Assert.Equal(VerifyOutcome.Rejected, VerifyAlice());
    }

    [Fact]
    public void Every_decision_is_queued_for_audit_without_the_code()
    {
        var good = TestTotp.CodeAt(_aliceSecret, Now);
        var wrong = TestTotp.WrongCodeAt(_aliceSecret, Now);
        var bobWrong = TestTotp.WrongCodeAt(_bobSecret, Now);
        var decisions = new List<(VerifyOutcome Outcome, string User, DateTimeOffset At)>
        {
            (Verify(Alice, good), Alice, Now),
            (Verify(Alice, good), Alice, Now),
            (Verify(Alice, wrong), Alice, Now),
            (Verify("root", "424242"), "root", Now),
        };
        for (var i = 0; i < 5; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(7));
            decisions.Add((Verify(Bob, bobWrong), Bob, Now));
        }

        decisions.Add((Verify(Bob, TestTotp.CodeAt(_bobSecret, Now)), Bob, Now));

        Assert.Equal(
            [VerifyOutcome.Accepted, VerifyOutcome.Replayed, VerifyOutcome.Rejected, VerifyOutcome.NotRequired,
             VerifyOutcome.Rejected, VerifyOutcome.Rejected, VerifyOutcome.Rejected, VerifyOutcome.Rejected, VerifyOutcome.Rejected,
             VerifyOutcome.LockedOut],
            decisions.Select(d => d.Outcome));
        var audit = _store.Store.PeekAudit(100);
        Assert.Equal(
            [AuditOutcome.Accepted, AuditOutcome.Rejected, AuditOutcome.Rejected, AuditOutcome.NotRequired,
             AuditOutcome.Rejected, AuditOutcome.Rejected, AuditOutcome.Rejected, AuditOutcome.Rejected, AuditOutcome.Rejected,
             AuditOutcome.LockedOut],
            audit.Select(e => e.Outcome));
        Assert.Equal(decisions.Select(d => (d.User, d.At)), audit.Select(e => (e.LocalUsername!, e.At)));
        Assert.Equal(
            ["alice", "alice", "alice", null, "bob", "bob", "bob", "bob", "bob", "bob"],
            audit.Select(e => e.UserId));
        Assert.Equal(audit.Count, audit.Select(e => e.Id).Distinct().Count());

        // Random ids are hex and could contain six digits by chance; everything else must never carry a code.
        var file = audit.Aggregate(File.ReadAllText(_store.PathOf("audit.jsonl"), Encoding.UTF8), (text, e) => text.Replace(e.Id, "", StringComparison.Ordinal));
        Assert.All(new[] { good, wrong, bobWrong, "424242" }, code => Assert.DoesNotContain(code, file, StringComparison.Ordinal));
    }

    public void Dispose() => _store.Dispose();
}
