using System.Text.RegularExpressions;

namespace FleetMfa.Grains.Rules;

/// <summary>Checks on free-text input that grains store and agents later see (hostnames, usernames, names).</summary>
public static partial class InputRules
{
    public static string RequireText(string? value, string what, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > maxLength || value.Any(char.IsControl))
        {
            throw FleetMfaException.Validation($"{what} must be 1–{maxLength} printable characters.");
        }

        return value.Trim();
    }

    public static string RequireHostname(string? value) =>
        value is { Length: > 0 and <= 253 } && Hostname().IsMatch(value)
            ? value
            : throw FleetMfaException.Validation("hostname must be 1–253 characters of letters, digits, '.', '-' and '_'.");

    /// <summary>An OS account name: POSIX-style, also what Windows and macOS local accounts allow.</summary>
    public static string RequireLocalUsername(string? value) =>
        value is { Length: > 0 and <= 64 } && LocalUsername().IsMatch(value)
            ? value
            : throw FleetMfaException.Validation("localUsername must be 1–64 characters: letters, digits, '.', '_', '-', starting with a letter, digit or '_'.");

    /// <summary>Whether <paramref name="value"/> is a valid local account name (see <see cref="RequireLocalUsername"/>).</summary>
    public static bool IsLocalUsername(string? value) => value is { Length: > 0 and <= 64 } && LocalUsername().IsMatch(value);

    public static string? OptionalEmail(string? value) =>
        value is null ? null
        : value.Length <= 254 && Email().IsMatch(value) ? value
        : throw FleetMfaException.Validation("email is not a valid address.");

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9._-]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex Hostname();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex LocalUsername();

    [GeneratedRegex(@"^[^@\s\p{C}]+@[^@\s\p{C}]+\.[^@\s\p{C}]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Email();
}
