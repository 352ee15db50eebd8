using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Agent.Verification;
using FleetMfa.Protocol.Documents;
using Microsoft.Extensions.Time.Testing;

namespace FleetMfa.Agent.Tests.Verification;

/// <summary>
/// A login is matched to a bound user by its exact name, else by its uid (<c>verify --uid</c>): the first bound user
/// whose local username the user database resolves to that uid. Replay, lockout and audit then key on that bound
/// user, whatever spelling the login used.
/// </summary>
public sealed class UidMatchingTests : IDisposable
{
    private const string Alice = "alice";
    private const uint AliceUid = 1001;
    private const uint BobUid = 1002;

    private static readonly DateTimeOffset _start = new(2026, 1, 5, 9, 0, 10, TimeSpan.Zero);
    private static readonly byte[] _aliceSecret = TestTotp.Secret("uid alice");
    private static readonly byte[] _bobSecret = TestTotp.Secret("uid bob");

    private readonly TestStore _store = new();
    private readonly FakeTimeProvider _clock = new(_start);
    private readonly InMemoryUserDirectory _users = new InMemoryUserDirectory().Add(Alice, AliceUid).Add("bob", BobUid);

    public UidMatchingTests()
    {
        _store.Enroll();
        _store.SaveState(1, true, new LocalUser("alice-id", Alice, 1, _aliceSecret), new LocalUser("bob-id", "bob", 1, _bobSecret));
    }

    private DateTimeOffset Now => _clock.GetUtcNow();

    private CodeVerifier Verifier(VerificationSettings? settings = null) =>
        new(_store.Store, _store.Store, settings ?? VerificationSettings.Default, _clock, _users, "boot-a");

    private VerifyOutcome Verify(string username, uint? uid, string code) => Verifier().Verify(username, uid, code);

    [Fact]
    public void A_login_spelled_otherwise_with_a_bound_users_uid_is_that_user()
    {
        Assert.Equal(VerifyOutcome.Accepted, Verify("ALICE", AliceUid, TestTotp.CodeAt(_aliceSecret, Now)));

        var audit = Assert.Single(_store.Store.PeekAudit(10));
        Assert.Equal((AuditOutcome.Accepted, Alice, "alice-id"), (audit.Outcome, audit.LocalUsername, audit.UserId));
        Assert.Equal(Rfc6238.StepAt(Now, 30), _store.Ledger(Alice).LastAcceptedStep);
    }

    [Fact]
    public void Two_spellings_of_one_uid_share_one_replay_ledger()
    {
        var code = TestTotp.CodeAt(_aliceSecret, Now);
        Assert.Equal(VerifyOutcome.Accepted, Verify("ALICE", AliceUid, code));

        Assert.Equal(VerifyOutcome.Replayed, Verify(Alice, null, code));
        Assert.Equal(VerifyOutcome.Replayed, Verify("Alice", AliceUid, code));
    }

    [Fact]
    public void Two_spellings_of_one_uid_share_one_lockout()
    {
        var wrong = TestTotp.WrongCodeAt(_aliceSecret, Now);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(VerifyOutcome.Rejected, Verify("ALICE", AliceUid, wrong));
        }

        Assert.Equal(VerifyOutcome.Rejected, Verify(Alice, null, wrong));
        Assert.Equal(VerifyOutcome.Rejected, Verify("Alice", AliceUid, wrong));

        Assert.Equal(VerifyOutcome.LockedOut, Verify(Alice, null, TestTotp.CodeAt(_aliceSecret, Now)));
        Assert.Equal(VerifyOutcome.LockedOut, Verify("ALICE", AliceUid, TestTotp.CodeAt(_aliceSecret, Now)));
        Assert.Equal(5, _store.Ledger(Alice).Failures.Count);
        Assert.Equal([Alice], ReadLedgerKeys());
    }

    [Fact]
    public void The_exact_name_wins_over_the_uid()
    {
        // "bob" is bound; the uid given is alice's. The name decides: bob's secret, bob's ledger.
        Assert.Equal(VerifyOutcome.Accepted, Verify("bob", AliceUid, TestTotp.CodeAt(_bobSecret, Now)));

        Assert.Equal(0, _users.Lookups);
        Assert.Equal("bob", Assert.Single(_store.Store.PeekAudit(10)).LocalUsername);
    }

    [Fact]
    public void A_uid_no_bound_user_resolves_to_needs_no_code()
    {
        Assert.Equal(VerifyOutcome.NotRequired, Verify("carol", 1003, "anything"));

        Assert.False(Verifier().IsRequired("carol", 1003));
        Assert.Equal("carol", Assert.Single(_store.Store.PeekAudit(10)).LocalUsername);
    }

    [Fact]
    public void Without_a_uid_another_spelling_needs_no_code()
    {
        Assert.False(Verifier().IsRequired("ALICE", null));

        Assert.Equal(0, _users.Lookups);
    }

    [Fact]
    public void Check_required_matches_by_uid_as_verify_does()
    {
        Assert.True(Verifier().IsRequired("ALICE", AliceUid));
        Assert.True(Verifier().IsRequired("alice", null));
        Assert.Empty(_store.Store.PeekAudit(10));
    }

    [Fact]
    public void With_mfa_off_nobody_is_looked_up()
    {
        _store.SaveState(2, false, new LocalUser("alice-id", Alice, 1, _aliceSecret));

        Assert.Equal(VerifyOutcome.NotRequired, Verify("ALICE", AliceUid, "x"));
        Assert.Equal(0, _users.Lookups);
    }

    [Fact]
    public void A_user_database_that_cannot_answer_is_an_error_not_a_decision()
    {
        _users.Broken = true;

        Assert.Throws<IOException>(() => Verify("ALICE", AliceUid, TestTotp.CodeAt(_aliceSecret, Now)));
        Assert.Throws<IOException>(() => Verifier().IsRequired("ALICE", AliceUid));
        Assert.Empty(_store.Store.PeekAudit(10));

        // A login that is bound by its exact name needs no lookup.
        Assert.Equal(VerifyOutcome.Accepted, Verify(Alice, AliceUid, TestTotp.CodeAt(_aliceSecret, Now)));
    }

    [Fact]
    public void The_first_bound_user_resolving_to_the_uid_is_the_one()
    {
        _users.Add("bob", AliceUid);

        Assert.Equal(VerifyOutcome.Accepted, Verify("ALICE", AliceUid, TestTotp.CodeAt(_aliceSecret, Now)));
        Assert.Equal(Alice, Assert.Single(_store.Store.PeekAudit(10)).LocalUsername);
    }

    private List<string> ReadLedgerKeys() =>
        [.. System.Text.Json.JsonSerializer.Deserialize(File.ReadAllBytes(_store.PathOf("ledger.json")), AgentJsonContext.Default.VerifyLedger)!.Users.Keys];

    public void Dispose() => _store.Dispose();
}
