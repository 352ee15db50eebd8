namespace FleetMfa.Grains;

public enum TotpStatus
{
    NotEnrolled,
    PendingSetup,
    Enrolled,
}
