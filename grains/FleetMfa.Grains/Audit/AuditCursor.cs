using System.Buffers.Text;
using System.Text;

namespace FleetMfa.Grains.Audit;

/// <summary>
/// Cursors are opaque to clients: base64url of the org id and a store's own position. A cursor of another org, or
/// anything that does not decode, is a <c>validation</c> error — the store's query is bounded to the org anyway.
/// </summary>
public static class AuditCursor
{
    private const int MaxLength = 2048;

    public static string Encode(string orgId, string position) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{orgId}\n{position}"));

    /// <summary>The store position in <paramref name="cursor"/>, or null for the first page.</summary>
    public static string? Decode(string orgId, string? cursor)
    {
        if (cursor is null)
        {
            return null;
        }

        string text;
        try
        {
            text = cursor.Length is > 0 and <= MaxLength ? Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)) : "";
        }
        catch (FormatException)
        {
            text = "";
        }

        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        if (newline <= 0 || text[..newline] != orgId || newline == text.Length - 1)
        {
            throw FleetMfaException.Validation("cursor is not a cursor of this org's audit trail.");
        }

        return text[(newline + 1)..];
    }
}
