namespace FleetMfa.Testing;

/// <summary>Slugs that no other test (or earlier run against the same storage) uses.</summary>
public static class TestIds
{
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..12]}";
}
