namespace FleetMfa.Silo.Hosting;

/// <summary>The system clock shifted by a fixed offset; only for end-to-end tests that must move past an expiry.</summary>
public sealed class OffsetTimeProvider(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
}
