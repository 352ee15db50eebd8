using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FleetMfa.Protocol.Tls;

/// <summary>
/// The SHA-256 of a CA certificate's DER encoding as 64 lowercase hex digits — what a connect key carries and an agent
/// pins (the same value as <c>openssl x509 -noout -fingerprint -sha256</c>, without the colons).
/// </summary>
public static class CaFingerprint
{
    public const int HexLength = 64;

    public static string Of(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }

    /// <summary>Exactly 64 lowercase hex digits.</summary>
    public static bool IsWellFormed([NotNullWhen(true)] string? value) =>
        value is { Length: HexLength } && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    public static bool Matches(X509Certificate2 certificate, string fingerprint) =>
        IsWellFormed(fingerprint) &&
        CryptographicOperations.FixedTimeEquals(Convert.FromHexString(Of(certificate)), Convert.FromHexString(fingerprint));
}
