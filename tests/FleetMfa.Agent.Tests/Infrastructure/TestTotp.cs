using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FleetMfa.Agent.Verification;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Tests.Infrastructure;

/// <summary>TOTP helpers: fixed secrets that look random, and the codes a phone would show.</summary>
public static class TestTotp
{
    /// <summary>The control plane's defaults (DESIGN §3): 6 digits, 30 s, SHA1, ±1 step.</summary>
    public static TotpSettings Default { get; } = new(6, 30, "SHA1", 1);

    /// <summary>A 20-byte secret derived from <paramref name="label"/>: arbitrary bytes, the same on every run.</summary>
    public static byte[] Secret(string label) => SHA256.HashData(Encoding.UTF8.GetBytes(label))[..20];

    public static string CodeAt(byte[] secret, DateTimeOffset at, TotpSettings totp, int stepOffset = 0) =>
        Format(Rfc6238.Code(secret, Rfc6238.StepAt(at, totp.PeriodSeconds) + stepOffset, totp.Digits, totp.Algorithm), totp.Digits);

    public static string CodeAt(byte[] secret, DateTimeOffset at, int stepOffset = 0) => CodeAt(secret, at, Default, stepOffset);

    /// <summary>A well-formed code that matches no step within ±3 of <paramref name="at"/>.</summary>
    public static string WrongCodeAt(byte[] secret, DateTimeOffset at, TotpSettings? totp = null)
    {
        totp ??= Default;
        var near = Enumerable.Range(-3, 7).Select(offset => CodeAt(secret, at, totp, offset)).ToHashSet();
        for (var candidate = 0; ; candidate += 7919)
        {
            var code = Format(candidate, totp.Digits);
            if (!near.Contains(code))
            {
                return code;
            }
        }
    }

    public static string Format(int code, int digits) => code.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0');
}
