using System.Text;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Agent.Verification;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Tests.Verification;

public class Rfc6238Tests
{
    private const string Seed20 = "12345678901234567890";
    private const string Seed32 = "12345678901234567890123456789012";
    private const string Seed64 = "1234567890123456789012345678901234567890123456789012345678901234";

    private static readonly DateTimeOffset _now = new(2026, 1, 5, 9, 0, 10, TimeSpan.Zero);
    private static readonly byte[] _secret = Encoding.ASCII.GetBytes(Seed20);

    /// <summary>RFC 6238 Appendix B: 8 digits, 30 s steps, T0 = 0, one seed per hash as the RFC's reference code uses.</summary>
    [Theory]
    [InlineData(59L, "SHA1", Seed20, "94287082")]
    [InlineData(59L, "SHA256", Seed32, "46119246")]
    [InlineData(59L, "SHA512", Seed64, "90693936")]
    [InlineData(1111111109L, "SHA1", Seed20, "07081804")]
    [InlineData(1111111109L, "SHA256", Seed32, "68084774")]
    [InlineData(1111111109L, "SHA512", Seed64, "25091201")]
    [InlineData(1111111111L, "SHA1", Seed20, "14050471")]
    [InlineData(1111111111L, "SHA256", Seed32, "67062674")]
    [InlineData(1111111111L, "SHA512", Seed64, "99943326")]
    [InlineData(1234567890L, "SHA1", Seed20, "89005924")]
    [InlineData(1234567890L, "SHA256", Seed32, "91819424")]
    [InlineData(1234567890L, "SHA512", Seed64, "93441116")]
    [InlineData(2000000000L, "SHA1", Seed20, "69279037")]
    [InlineData(2000000000L, "SHA256", Seed32, "90698825")]
    [InlineData(2000000000L, "SHA512", Seed64, "38618901")]
    [InlineData(20000000000L, "SHA1", Seed20, "65353130")]
    [InlineData(20000000000L, "SHA256", Seed32, "77737706")]
    [InlineData(20000000000L, "SHA512", Seed64, "47863826")]
    public void Code_matches_the_rfc_6238_test_vectors(long unixSeconds, string algorithm, string seed, string expected)
    {
        var secret = Encoding.ASCII.GetBytes(seed);
        var at = DateTimeOffset.FromUnixTimeSeconds(unixSeconds);

        var code = Rfc6238.Code(secret, Rfc6238.StepAt(at, 30), 8, algorithm);

        Assert.Equal(expected, TestTotp.Format(code, 8));
        Assert.True(Rfc6238.TryMatch(secret, expected, new TotpSettings(8, 30, algorithm, 0), at, out var step));
        Assert.Equal(unixSeconds / 30, step);
    }

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(29L, 0L)]
    [InlineData(30L, 1L)]
    [InlineData(59L, 1L)]
    [InlineData(1234567890L, 41152263L)]
    public void StepAt_counts_whole_periods_since_the_epoch(long unixSeconds, long step) =>
        Assert.Equal(step, Rfc6238.StepAt(DateTimeOffset.FromUnixTimeSeconds(unixSeconds), 30));

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    public void TryMatch_accepts_the_current_step_and_one_either_side(int offset)
    {
        var code = TestTotp.CodeAt(_secret, _now, offset);

        Assert.True(Rfc6238.TryMatch(_secret, code, TestTotp.Default, _now, out var step));
        Assert.Equal(Rfc6238.StepAt(_now, 30) + offset, step);
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(2)]
    [InlineData(-20)]
    [InlineData(20)]
    public void TryMatch_rejects_codes_two_or_more_steps_away(int offset)
    {
        var code = TestTotp.CodeAt(_secret, _now, offset);

        Assert.False(Rfc6238.TryMatch(_secret, code, TestTotp.Default, _now, out var step));
        Assert.Equal(long.MinValue, step);
    }

    [Fact]
    public void TryMatch_with_no_drift_accepts_only_the_current_step()
    {
        var exact = TestTotp.Default with { DriftSteps = 0 };

        Assert.True(Rfc6238.TryMatch(_secret, TestTotp.CodeAt(_secret, _now), exact, _now, out _));
        Assert.False(Rfc6238.TryMatch(_secret, TestTotp.CodeAt(_secret, _now, -1), exact, _now, out _));
        Assert.False(Rfc6238.TryMatch(_secret, TestTotp.CodeAt(_secret, _now, 1), exact, _now, out _));
    }

    [Fact]
    public void TryMatch_widens_with_the_configured_drift()
    {
        var wide = TestTotp.Default with { DriftSteps = 2 };

        Assert.True(Rfc6238.TryMatch(_secret, TestTotp.CodeAt(_secret, _now, -2), wide, _now, out _));
        Assert.True(Rfc6238.TryMatch(_secret, TestTotp.CodeAt(_secret, _now, 2), wide, _now, out _));
        Assert.False(Rfc6238.TryMatch(_secret, TestTotp.CodeAt(_secret, _now, 3), wide, _now, out _));
    }

    [Fact]
    public void TryMatch_uses_the_configured_period()
    {
        var slow = TestTotp.Default with { PeriodSeconds = 60, DriftSteps = 0 };
        var code = TestTotp.CodeAt(_secret, _now, slow);

        Assert.True(Rfc6238.TryMatch(_secret, code, slow, _now.AddSeconds(45), out var step));
        Assert.Equal(_now.ToUnixTimeSeconds() / 60, step);
        Assert.False(Rfc6238.TryMatch(_secret, code, slow, _now.AddSeconds(60), out _));
    }

    [Fact]
    public void TryMatch_rejects_the_right_code_for_another_secret()
    {
        var code = TestTotp.CodeAt(_secret, _now);
        var other = TestTotp.Secret("someone else");
        Assert.NotEqual(code, TestTotp.CodeAt(other, _now));

        Assert.False(Rfc6238.TryMatch(other, code, TestTotp.Default, _now, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("12345a")]
    [InlineData(" 12345")]
    [InlineData("12345 ")]
    [InlineData("+12345")]
    [InlineData("-12345")]
    [InlineData("1234.5")]
    [InlineData("１２３４５６")]
    [InlineData("١٢٣٤٥٦")]
    public void TryMatch_rejects_anything_but_exactly_six_ascii_digits(string code) =>
        Assert.False(Rfc6238.TryMatch(_secret, code, TestTotp.Default, _now, out _));

    [Fact]
    public void TryMatch_rejects_a_six_digit_code_when_eight_are_configured()
    {
        var eight = TestTotp.Default with { Digits = 8 };
        var code8 = TestTotp.CodeAt(_secret, _now, eight);

        Assert.True(Rfc6238.TryMatch(_secret, code8, eight, _now, out _));
        Assert.False(Rfc6238.TryMatch(_secret, code8[2..], eight, _now, out _));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(9)]
    public void Code_refuses_digit_counts_outside_six_to_eight(int digits) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Rfc6238.Code(_secret, 1, digits, "SHA1"));

    [Theory]
    [InlineData("MD5")]
    [InlineData("sha1")]
    [InlineData("")]
    public void Code_refuses_unknown_algorithms(string algorithm) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Rfc6238.Code(_secret, 1, 6, algorithm));
}
