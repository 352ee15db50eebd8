using System.Text;

namespace FleetMfa.Agent.Tests.Infrastructure;

/// <summary>The textual forms a leaked secret could take, and RFC 4648 base32 for <c>oathtool -b</c>.</summary>
public static class Encodings
{
    private const string Base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static string ToBase32(ReadOnlySpan<byte> data)
    {
        var text = new StringBuilder((data.Length + 4) / 5 * 8);
        var buffer = 0;
        var bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(Base32Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            text.Append(Base32Alphabet[(buffer << (5 - bits)) & 31]);
        }

        while (text.Length % 8 != 0)
        {
            text.Append('=');
        }

        return text.ToString();
    }

    /// <summary>Raw bytes, base32 (with and without padding), base64 and hex in both cases.</summary>
    public static IEnumerable<byte[]> LeakForms(byte[] secret)
    {
        yield return secret;
        var base32 = ToBase32(secret);
        yield return Encoding.ASCII.GetBytes(base32);
        yield return Encoding.ASCII.GetBytes(base32.TrimEnd('='));
        yield return Encoding.ASCII.GetBytes(Convert.ToBase64String(secret));
        yield return Encoding.ASCII.GetBytes(Convert.ToHexString(secret));
        yield return Encoding.ASCII.GetBytes(Convert.ToHexStringLower(secret));
    }

    public static bool Contains(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle) >= 0;
}
