using System.Text;
using System.Text.RegularExpressions;
using FleetMfa.Grains;
using FleetMfa.Grains.Totp;
using OtpNet;

namespace FleetMfa.Tests.Totp;

public partial class TotpAuthenticatorTests
{
    private static readonly DateTimeOffset _now = new(2026, 1, 5, 9, 0, 10, TimeSpan.Zero);

    [Fact]
    public void Otpauth_uri_has_the_documented_shape() =>
        Assert.Equal(
            "otpauth://totp/FleetMfa:acme:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=FleetMfa&algorithm=SHA1&digits=6&period=30",
            TotpAuthenticator.OtpauthUri("acme", "alice", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", TotpParameters.Default));

    [Theory]
    [InlineData("Jane Doe", "Jane%20Doe")]
    [InlineData("ops/admin?x=1&secret=AAAA", "ops%2Fadmin%3Fx%3D1%26secret%3DAAAA")]
    [InlineData("corp:jane", "corp%3Ajane")]
    [InlineData("josé", "jos%C3%A9")]
    [InlineData("100%", "100%25")]
    [InlineData("a+b#c", "a%2Bb%23c")]
    public void Otpauth_uri_escapes_odd_usernames(string username, string escaped)
    {
        var uri = TotpAuthenticator.OtpauthUri("acme", username, "JBSWY3DPEHPK3PXP", TotpParameters.Default);

        Assert.Equal($"otpauth://totp/FleetMfa:acme:{escaped}?secret=JBSWY3DPEHPK3PXP&issuer=FleetMfa&algorithm=SHA1&digits=6&period=30", uri);
        var query = uri[(uri.IndexOf('?', StringComparison.Ordinal) + 1)..].Split('&').Select(p => p.Split('=')[0]);
        Assert.Equal(["secret", "issuer", "algorithm", "digits", "period"], query);
    }

    [Fact]
    public void Otpauth_uri_carries_the_org_parameters() =>
        Assert.EndsWith(
            "&algorithm=SHA256&digits=8&period=60",
            TotpAuthenticator.OtpauthUri("acme", "alice", "JBSWY3DPEHPK3PXP", new TotpParameters(8, 60, "SHA256", 1)),
            StringComparison.Ordinal);

    [Fact]
    public void A_new_secret_is_160_bits_written_as_32_base32_characters()
    {
        var secret = TotpAuthenticator.NewSecret();
        var base32 = TotpAuthenticator.ToBase32(secret);

        Assert.Equal(20, secret.Length);
        Assert.Matches(Base32(), base32);
        Assert.Equal(secret, Base32Encoding.ToBytes(base32));
    }

    [Fact]
    public void New_secrets_are_different_every_time() =>
        Assert.Equal(100, Enumerable.Range(0, 100).Select(_ => TotpAuthenticator.ToBase32(TotpAuthenticator.NewSecret())).Distinct().Count());

    [Fact]
    public void The_qr_code_is_an_svg_document()
    {
        var svg = TotpAuthenticator.QrSvg(TotpAuthenticator.OtpauthUri("acme", "alice", "JBSWY3DPEHPK3PXP", TotpParameters.Default));

        Assert.StartsWith("<svg", svg, StringComparison.Ordinal);
        Assert.EndsWith("</svg>", svg.TrimEnd(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    public void Verify_accepts_the_current_step_and_one_step_either_side(int steps)
    {
        var secret = TotpAuthenticator.NewSecret();
        var at = _now.AddSeconds(30 * steps);
        var code = new OtpNet.Totp(secret).ComputeTotp(at.UtcDateTime);

        Assert.True(TotpAuthenticator.Verify(secret, code, TotpParameters.Default, _now, out var matchedStep));
        Assert.Equal(at.ToUnixTimeSeconds() / 30, matchedStep);
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(2)]
    [InlineData(-10)]
    [InlineData(10)]
    public void Verify_rejects_codes_two_or_more_steps_away(int steps)
    {
        // A fixed secret, so the outcome never depends on a chance collision between codes of different steps.
        var secret = Encoding.ASCII.GetBytes("12345678901234567890");
        var code = new OtpNet.Totp(secret).ComputeTotp(_now.AddSeconds(30 * steps).UtcDateTime);

        Assert.False(TotpAuthenticator.Verify(secret, code, TotpParameters.Default, _now, out _));
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
    [InlineData("１２３４５６")]
    [InlineData("١٢٣٤٥٦")]
    public void Verify_rejects_codes_that_are_not_six_ascii_digits(string code) =>
        Assert.False(TotpAuthenticator.Verify(TotpAuthenticator.NewSecret(), code, TotpParameters.Default, _now, out _));

    [Fact]
    public void Verify_rejects_a_valid_code_with_surrounding_whitespace()
    {
        var secret = TotpAuthenticator.NewSecret();
        var code = new OtpNet.Totp(secret).ComputeTotp(_now.UtcDateTime);

        Assert.True(TotpAuthenticator.Verify(secret, code, TotpParameters.Default, _now, out _));
        Assert.False(TotpAuthenticator.Verify(secret, code + "\n", TotpParameters.Default, _now, out _));
    }

    /// <summary>RFC 6238 Appendix B, SHA1 rows: seed "12345678901234567890", 8 digits, 30 s steps.</summary>
    [Theory]
    [InlineData(59L, "94287082")]
    [InlineData(1111111109L, "07081804")]
    [InlineData(1111111111L, "14050471")]
    [InlineData(1234567890L, "89005924")]
    [InlineData(2000000000L, "69279037")]
    [InlineData(20000000000L, "65353130")]
    public void Verify_accepts_the_rfc_6238_sha1_test_vectors(long unixSeconds, string code)
    {
        var secret = Encoding.ASCII.GetBytes("12345678901234567890");
        var parameters = new TotpParameters(8, 30, "SHA1", 0);
        var at = DateTimeOffset.FromUnixTimeSeconds(unixSeconds);

        Assert.True(TotpAuthenticator.Verify(secret, code, parameters, at, out var matchedStep));
        Assert.Equal(unixSeconds / 30, matchedStep);

        // Without drift the same code is not valid one step later.
        Assert.False(TotpAuthenticator.Verify(secret, code, parameters, at.AddSeconds(30), out _));
    }

    /// <summary>oathtool is the independent reference (DESIGN §9); deploy/test.sh installs it.</summary>
    [Fact]
    public void Verify_accepts_the_code_oathtool_computes_for_a_new_secret()
    {
        var base32 = TotpAuthenticator.ToBase32(TotpAuthenticator.NewSecret());

        var code = Oathtool.Totp(base32, _now);

        Assert.Matches("^[0-9]{6}$", code);
        Assert.True(TotpAuthenticator.Verify(Base32Encoding.ToBytes(base32), code, TotpParameters.Default, _now, out _));
    }

    [GeneratedRegex("^[A-Z2-7]{32}$")]
    private static partial Regex Base32();
}
