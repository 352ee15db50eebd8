using System.Security.Cryptography;
using OtpNet;
using QRCoder;

namespace FleetMfa.Grains.Totp;

/// <summary>RFC 6238 on the control plane: new secrets, the otpauth URI and its QR code, and checking a setup code.</summary>
public static class TotpAuthenticator
{
    public const string Issuer = "FleetMfa";

    /// <summary>160 bits, the RFC 4226 recommendation and what SHA-1 authenticators expect.</summary>
    public const int SecretBytes = 20;

    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(SecretBytes);

    public static string ToBase32(byte[] secret) => Base32Encoding.ToString(secret).TrimEnd('=');

    /// <summary><c>otpauth://totp/FleetMfa:{org}:{username}?secret=…&amp;issuer=FleetMfa&amp;algorithm=SHA1&amp;digits=6&amp;period=30</c>.</summary>
    public static string OtpauthUri(string orgId, string username, string base32Secret, TotpParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var label = $"{Issuer}:{Uri.EscapeDataString(orgId)}:{Uri.EscapeDataString(username)}";
        return $"otpauth://totp/{label}?secret={base32Secret}&issuer={Issuer}" +
               $"&algorithm={parameters.Algorithm}&digits={parameters.Digits}&period={parameters.PeriodSeconds}";
    }

    public static string QrSvg(string otpauthUri)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(otpauthUri, QRCodeGenerator.ECCLevel.M);
        return new SvgQRCode(data).GetGraphic(4);
    }

    /// <summary>Whether <paramref name="code"/> is valid at <paramref name="now"/> within the drift window; returns the matched step.</summary>
    public static bool Verify(byte[] secret, string code, TotpParameters parameters, DateTimeOffset now, out long matchedStep)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        matchedStep = 0;
        if (code.Length != parameters.Digits || !code.All(char.IsAsciiDigit))
        {
            return false;
        }

        var totp = new OtpNet.Totp(secret, parameters.PeriodSeconds, HashMode(parameters.Algorithm), parameters.Digits);
        return totp.VerifyTotp(now.UtcDateTime, code, out matchedStep, new VerificationWindow(parameters.DriftSteps, parameters.DriftSteps));
    }

    private static OtpHashMode HashMode(string algorithm) => algorithm switch
    {
        "SHA1" => OtpHashMode.Sha1,
        "SHA256" => OtpHashMode.Sha256,
        "SHA512" => OtpHashMode.Sha512,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unsupported TOTP algorithm."),
    };
}
