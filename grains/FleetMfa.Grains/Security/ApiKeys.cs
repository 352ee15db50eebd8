using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace FleetMfa.Grains.Security;

/// <summary>
/// Org-scoped keys look like <c>{prefix}_{keyId}_{secret}_{orgId}</c> — <c>fmk</c> for operator keys, <c>fmc</c> for
/// agent connect keys: the org is readable so a key can be routed to its org (and refused on another with a 403),
/// the key id finds the record, and only the SHA-256 of the 256-bit secret is stored. The admin key is <c>fma_{secret}</c>.
/// </summary>
public static class ApiKeys
{
    public const string OperatorPrefix = "fmk";
    public const string ConnectPrefix = "fmc";
    public const string AdminPrefix = "fma";

    public static (string KeyId, string Secret, string Key) NewOrgKey(string prefix, string orgId)
    {
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        return (keyId, secret, $"{prefix}_{keyId}_{secret}_{orgId}");
    }

    public static string NewAdminKey() => $"{AdminPrefix}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}";

    public static bool TryParseOrgKey(string key, string prefix, [NotNullWhen(true)] out string? orgId, [NotNullWhen(true)] out string? keyId, [NotNullWhen(true)] out string? secret)
    {
        ArgumentNullException.ThrowIfNull(key);
        orgId = keyId = secret = null;
        var parts = key.Split('_', 4);
        if (parts.Length != 4 || parts[0] != prefix || parts[1].Length != 16 || parts[2].Length != 64 || !Slug.IsValid(parts[3]))
        {
            return false;
        }

        (keyId, secret, orgId) = (parts[1], parts[2], parts[3]);
        return true;
    }

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static bool HashesEqual(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => CryptographicOperations.FixedTimeEquals(a, b);
}
