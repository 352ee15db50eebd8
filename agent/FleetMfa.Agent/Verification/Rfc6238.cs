using System.Buffers.Binary;
using System.Security.Cryptography;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Verification;

/// <summary>TOTP (RFC 6238 over RFC 4226 HOTP), allocation-free, for the agent's offline checks.</summary>
public static class Rfc6238
{
    private static readonly int[] PowersOfTen = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

    public static long StepAt(DateTimeOffset time, int periodSeconds) =>
        Math.DivRem(time.ToUnixTimeSeconds(), periodSeconds, out var rem) - (rem < 0 ? 1 : 0);

    public static int Code(ReadOnlySpan<byte> secret, long step, int digits, string algorithm)
    {
        if (digits is < 6 or > 8)
        {
            throw new ArgumentOutOfRangeException(nameof(digits), digits, "TOTP codes have 6 to 8 digits.");
        }

        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        Span<byte> mac = stackalloc byte[64];
        var length = algorithm switch
        {
#pragma warning disable CA5350 // RFC 6238's default and what every authenticator app uses; HMAC-SHA1 is not broken as a PRF.
            "SHA1" => HMACSHA1.HashData(secret, counter, mac),
#pragma warning restore CA5350
            "SHA256" => HMACSHA256.HashData(secret, counter, mac),
            "SHA512" => HMACSHA512.HashData(secret, counter, mac),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unsupported TOTP algorithm."),
        };
        var offset = mac[length - 1] & 0x0f;
        var binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
        CryptographicOperations.ZeroMemory(mac);
        return binary % PowersOfTen[digits];
    }

    /// <summary>
    /// Finds the time step within ±<see cref="TotpSettings.DriftSteps"/> of <paramref name="now"/> whose code is
    /// <paramref name="code"/>; every candidate is computed so the time taken does not depend on which one matched.
    /// </summary>
    public static bool TryMatch(ReadOnlySpan<byte> secret, string code, TotpSettings settings, DateTimeOffset now, out long matchedStep)
    {
        ArgumentNullException.ThrowIfNull(settings);
        matchedStep = long.MinValue;
        if (!TryParseCode(code, settings.Digits, out var value))
        {
            return false;
        }

        var current = StepAt(now, settings.PeriodSeconds);
        var found = false;
        for (var step = current - settings.DriftSteps; step <= current + settings.DriftSteps; step++)
        {
            if (Code(secret, step, settings.Digits, settings.Algorithm) == value && !found)
            {
                found = true;
                matchedStep = step;
            }
        }

        return found;
    }

    private static bool TryParseCode(string code, int digits, out int value)
    {
        value = 0;
        if (code.Length != digits)
        {
            return false;
        }

        foreach (var c in code)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }
}
