using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Agent.Verification;
using FleetMfa.Protocol.Documents;
using FleetMfa.Testing;

namespace FleetMfa.Agent.Tests.Verification;

/// <summary><see cref="Rfc6238"/> against Debian's <c>oathtool</c>, an implementation that shares no code with ours.</summary>
public class OathtoolCrossCheckTests
{
    [Theory]
    [InlineData("SHA1", 6, 30, "2026-01-05T09:00:10Z")]
    [InlineData("SHA1", 6, 30, "2026-01-05T09:00:29Z")]
    [InlineData("SHA1", 6, 30, "2026-01-05T09:00:30Z")]
    [InlineData("SHA1", 6, 30, "1970-01-01T00:00:59Z")]
    [InlineData("SHA1", 6, 30, "2038-01-19T03:14:08Z")]
    [InlineData("SHA1", 8, 30, "2009-02-13T23:31:30Z")]
    [InlineData("SHA1", 6, 60, "2026-07-01T12:34:56Z")]
    [InlineData("SHA256", 8, 30, "2026-01-05T09:00:10Z")]
    [InlineData("SHA256", 6, 30, "2031-12-31T23:59:59Z")]
    [InlineData("SHA512", 8, 30, "2026-01-05T09:00:10Z")]
    [InlineData("SHA512", 7, 30, "2005-03-18T01:58:31Z")]
    public void Code_matches_oathtool(string algorithm, int digits, int period, string time)
    {
        var at = DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture);
        var secret = TestTotp.Secret($"oathtool {algorithm} {digits} {period} {time}");
        var totp = new TotpSettings(digits, period, algorithm, 0);

        var expected = Oathtool.Totp(Encodings.ToBase32(secret), at, algorithm, digits, period);

        Assert.Equal(expected, TestTotp.CodeAt(secret, at, totp));
        Assert.True(Rfc6238.TryMatch(secret, expected, totp, at, out var step));
        Assert.Equal(at.ToUnixTimeSeconds() / period, step);
    }
}
