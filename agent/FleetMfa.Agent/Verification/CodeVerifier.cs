using FleetMfa.Agent.Store;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Verification;

/// <summary>
/// Decides a login offline from the local store: RFC 6238 with the desired parameters and drift window, each time
/// step accepted once per user (replay), and lockout after too many failures in a window (<see cref="LockoutClock"/>).
/// The login is matched to a bound user by name, or by uid through <paramref name="users"/> (<see cref="BoundUserLookup"/>);
/// replay, lockout and audit key on that user's local username, whatever spelling the login used. The ledger update
/// and the audit event happen under one hold of the store lock, so concurrent verifications neither reuse a step nor
/// lose a failure. A store without an applied state is damaged (enrollment writes one): that is an error, never
/// "not required".
/// </summary>
public sealed class CodeVerifier(AgentStore store, ISecretStore secrets, VerificationSettings settings, TimeProvider time, IUserDirectory users, string? bootId)
{
    /// <summary>A verifier on this system's user database and boot.</summary>
    public CodeVerifier(AgentStore store, ISecretStore secrets, VerificationSettings settings, TimeProvider time)
        : this(store, secrets, settings, time, LibcUserDirectory.Instance, KernelBootId.Current)
    {
    }

    public VerifyOutcome Verify(string username, string code) => Verify(username, null, code);

    /// <summary>Decides <paramref name="code"/> for the login <paramref name="username"/> (uid <paramref name="uid"/> when the caller knows it).</summary>
    /// <exception cref="InvalidOperationException">The store holds no applied state.</exception>
    public VerifyOutcome Verify(string username, uint? uid, string code)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(code);
        var stamp = new LockoutClock(time, bootId).Now();
        var state = LoadState();
        if (FindRequiredUser(state, username, uid) is not { } user)
        {
            store.AppendAudit(AuditEventFor(stamp.At, VerifyOutcome.NotRequired, username, null));
            return VerifyOutcome.NotRequired;
        }

        return store.UpdateLedgerAndAppendAudit(
            ledger => Decide(ledger.For(user.LocalUsername), user, state.Totp, code, stamp),
            outcome => AuditEventFor(stamp.At, outcome, user.LocalUsername, user.UserId));
    }

    /// <summary>Whether the login must give a code (MFA on and it is a bound user); records nothing.</summary>
    /// <exception cref="InvalidOperationException">The store holds no applied state.</exception>
    public bool IsRequired(string username, uint? uid)
    {
        ArgumentNullException.ThrowIfNull(username);
        return FindRequiredUser(LoadState(), username, uid) is not null;
    }

    private AppliedState LoadState() =>
        secrets.Load() ?? throw new InvalidOperationException($"the agent store at {store.DataDirectory} has no applied state (state.bin is missing); refusing to decide");

    private LocalUser? FindRequiredUser(AppliedState state, string username, uint? uid) =>
        state.Mfa ? BoundUserLookup.Find(state, username, uid, users) : null;

    private VerifyOutcome Decide(UserLedger ledger, LocalUser user, TotpSettings totp, string code, FailureStamp now)
    {
        if (ledger.SecretVersion != user.SecretVersion)
        {
            // A new secret: its steps have never been used, but recent failures still count.
            ledger.SecretVersion = user.SecretVersion;
            ledger.LastAcceptedStep = long.MinValue;
        }

        LockoutClock.DropExpired(ledger.Failures, now, TimeSpan.FromSeconds(settings.WindowSeconds));
        if (ledger.Failures.Count >= settings.MaxFailures)
        {
            return VerifyOutcome.LockedOut;
        }

        if (Rfc6238.TryMatch(user.Secret, code.Trim(), totp, now.At, out var step))
        {
            if (step > ledger.LastAcceptedStep)
            {
                ledger.LastAcceptedStep = step;
                ledger.Failures.Clear();
                return VerifyOutcome.Accepted;
            }

            ledger.Failures.Add(now);
            return VerifyOutcome.Replayed;
        }

        ledger.Failures.Add(now);
        return VerifyOutcome.Rejected;
    }

    private static AuditEvent AuditEventFor(DateTimeOffset now, VerifyOutcome outcome, string localUsername, string? userId)
    {
        var auditOutcome = outcome switch
        {
            VerifyOutcome.Accepted => AuditOutcome.Accepted,
            VerifyOutcome.NotRequired => AuditOutcome.NotRequired,
            VerifyOutcome.LockedOut => AuditOutcome.LockedOut,
            _ => AuditOutcome.Rejected,
        };
        return new AuditEvent(Guid.NewGuid().ToString("N"), now, auditOutcome, localUsername, userId);
    }
}
