namespace FleetMfa.Grains.Devices;

/// <summary>What makes a device's facts acceptable, whether an inventory import or its agent reports them.</summary>
public static class DeviceFactsRules
{
    public const int MaxAuthPlugins = 32;
    public const int MaxAuthPluginLength = 200;
    public const int MaxDisplayHeightPixels = 100_000;

    /// <summary>What is wrong with these facts, or null.</summary>
    public static string? Problem(IReadOnlyList<string>? authPlugins, int? displayHeightPixels) =>
        authPlugins is null || authPlugins.Count > MaxAuthPlugins || authPlugins.Any(p => p is null || p.Length is 0 or > MaxAuthPluginLength || p.Any(char.IsControl))
            ? $"authPlugins must be at most {MaxAuthPlugins} names of 1–{MaxAuthPluginLength} printable characters."
            : displayHeightPixels is < 0 or > MaxDisplayHeightPixels ? "displayHeightPixels is out of range."
            : null;

    /// <summary>Imported facts, checked (a validation error otherwise) and copied.</summary>
    public static DeviceFacts Require(DeviceFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        return Problem(facts.AuthPlugins, facts.DisplayHeightPixels) is { } problem
            ? throw FleetMfaException.Validation(problem)
            : facts with { AuthPlugins = [.. facts.AuthPlugins] };
    }

    public static bool Same(DeviceFacts a, DeviceFacts b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.SshServerInstalled == b.SshServerInstalled && a.DisplayHeightPixels == b.DisplayHeightPixels &&
            a.AgentVersion == b.AgentVersion && a.AuthPlugins.SequenceEqual(b.AuthPlugins, StringComparer.Ordinal);
    }
}
