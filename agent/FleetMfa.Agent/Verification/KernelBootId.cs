namespace FleetMfa.Agent.Verification;

/// <summary>The kernel's id of the current boot (Linux: a random UUID per boot), which tells whether two monotonic clock readings can be compared.</summary>
public static class KernelBootId
{
    public const string DefaultPath = "/proc/sys/kernel/random/boot_id";

    private static readonly Lazy<string?> _current = new(() => Read());

    /// <summary>This boot's id, read once per process; <c>null</c> where the system has none.</summary>
    public static string? Current => _current.Value;

    /// <summary>The id in <paramref name="path"/>, or <c>null</c> when there is none to read.</summary>
    public static string? Read(string path = DefaultPath)
    {
        try
        {
            return File.ReadAllText(path).Trim() is { Length: > 0 } id ? id : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
