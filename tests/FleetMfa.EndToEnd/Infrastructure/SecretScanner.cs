using System.Text;
using System.Text.RegularExpressions;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// Looks for one TOTP secret (or another key, <see cref="ForKey"/>) in every form it could leak in: the base32 text (either case), the raw key bytes, their
/// hex (either case) and base64 — and the raw bytes inside any base64 run (Azurite keeps binary table properties,
/// such as Orleans' serialized grain state, as base64 in its JSON files).
/// </summary>
public sealed partial class SecretScanner
{
    private const string Base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    private readonly byte[] _raw;
    private readonly string _name;
    private readonly (string Form, byte[] Pattern)[] _patterns;

    public SecretScanner(string base32Secret)
        : this(DecodeBase32(base32Secret ?? throw new ArgumentNullException(nameof(base32Secret))), "The TOTP secret")
    {
        _patterns =
        [
            ("base32", Encoding.ASCII.GetBytes(base32Secret.ToUpperInvariant())),
            ("base32 (lower case)", Encoding.ASCII.GetBytes(base32Secret.ToLowerInvariant())),
            .. _patterns,
        ];
    }

    private SecretScanner(byte[] raw, string name)
    {
        _raw = raw;
        _name = name;
        _patterns =
        [
            ("raw bytes", _raw),
            ("hex", Encoding.ASCII.GetBytes(Convert.ToHexStringLower(_raw))),
            ("hex (upper case)", Encoding.ASCII.GetBytes(Convert.ToHexString(_raw))),
            ("base64", Encoding.ASCII.GetBytes(Convert.ToBase64String(_raw).TrimEnd('='))),
        ];
    }

    /// <summary>A scanner for a key that has no text form of its own (e.g. a private key's scalar), named <paramref name="name"/> in failures.</summary>
    public static SecretScanner ForKey(byte[] raw, string name) => new((byte[])raw.Clone(), name);

    /// <summary>The raw key the base32 text stands for (RFC 4648).</summary>
    public ReadOnlySpan<byte> Raw => _raw;

    /// <summary>The forms of the secret found in <paramref name="content"/> (empty when it is clean).</summary>
    public IReadOnlyList<string> FindIn(byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var found = _patterns.Where(p => content.AsSpan().IndexOf(p.Pattern) >= 0).Select(p => p.Form).ToList();
        foreach (Match run in Base64Run().Matches(Encoding.Latin1.GetString(content)))
        {
            if (TryDecodeBase64(run.Value) is { } decoded && _patterns.Any(p => decoded.AsSpan().IndexOf(p.Pattern) >= 0))
            {
                found.Add($"inside the base64 run at offset {run.Index}");
            }
        }

        return found;
    }

    public void AssertAbsent(string what, byte[] content)
    {
        var found = FindIn(content);
        Assert.True(found.Count == 0, $"{_name} is in {what} ({string.Join(", ", found)}).");
    }

    public void AssertAbsent(string what, string content) => AssertAbsent(what, Encoding.UTF8.GetBytes(content));

    /// <summary>Scans every file under <paramref name="directory"/>; returns how many were scanned.</summary>
    public int AssertAbsentFromFiles(string what, string directory)
    {
        var scanned = 0;
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            byte[] content;
            try
            {
                content = File.ReadAllBytes(file);
            }
            catch (FileNotFoundException)
            {
                // A temp file renamed over its target since the listing: the target is in the listing too.
                continue;
            }

            AssertAbsent($"{what}: {Path.GetRelativePath(directory, file)}", content);
            scanned++;
        }

        return scanned;
    }

    private static byte[]? TryDecodeBase64(string run)
    {
        var padded = run.TrimEnd('=');
        padded = padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=');
        try
        {
            return Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static byte[] DecodeBase32(string text)
    {
        var output = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in text.TrimEnd('=').ToUpperInvariant())
        {
            var value = Base32Alphabet.IndexOf(c, StringComparison.Ordinal);
            if (value < 0)
            {
                throw new ArgumentException($"'{c}' is not base32.", nameof(text));
            }

            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                output.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
                buffer &= (1 << bits) - 1;
            }
        }

        return [.. output];
    }

    [GeneratedRegex("[A-Za-z0-9+/]{24,}={0,2}")]
    private static partial Regex Base64Run();
}
