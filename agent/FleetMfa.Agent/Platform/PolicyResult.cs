namespace FleetMfa.Agent.Platform;

/// <summary>What <see cref="IPlatform.ApplyPolicy"/> changed on the machine (empty when it was already in line).</summary>
public sealed record PolicyResult(IReadOnlyList<string> Changes)
{
    public static PolicyResult Unchanged { get; } = new([]);

    public bool Changed => Changes.Count > 0;
}
