namespace FleetMfa.Agent.Store;

/// <summary>Lockout: <see cref="MaxFailures"/> failed codes within <see cref="WindowSeconds"/> lock the user out until the oldest ages out.</summary>
public sealed record VerificationSettings(int MaxFailures = 5, int WindowSeconds = 300)
{
    public static VerificationSettings Default { get; } = new();
}
