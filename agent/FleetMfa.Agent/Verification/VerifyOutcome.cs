namespace FleetMfa.Agent.Verification;

/// <summary>A decision and its exit code (DESIGN §5): 0 accepted or not required, 1 rejected, 3 locked out.</summary>
public enum VerifyOutcome
{
    Accepted = 0,
    NotRequired = 10,
    Rejected = 1,
    Replayed = 11,
    LockedOut = 3,
}
