using FleetMfa.Grains;

namespace FleetMfa.Tests.Rules;

public class SlugTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("acme")]
    [InlineData("9lives")]
    [InlineData("acme-corp")]
    [InlineData("acme.eu_west-1")]
    [InlineData("a-")]
    [InlineData("a.")]
    [InlineData("a_")]
    [InlineData("a..b")]
    public void Lowercase_slugs_are_valid(string value) => Assert.True(Slug.IsValid(value));

    [Fact]
    public void Sixty_three_characters_are_valid() => Assert.True(Slug.IsValid("a" + new string('b', 62)));

    [Fact]
    public void Sixty_four_characters_are_invalid() => Assert.False(Slug.IsValid("a" + new string('b', 63)));

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("-acme")]
    [InlineData(".acme")]
    [InlineData("_acme")]
    [InlineData("..")]
    [InlineData("Acme")]
    [InlineData("ACME")]
    [InlineData("acme corp")]
    [InlineData(" acme")]
    [InlineData("acme ")]
    [InlineData("acme/eu")]
    [InlineData("acme\\eu")]
    [InlineData("acme:eu")]
    [InlineData("acme+eu")]
    [InlineData("acme#")]
    [InlineData("+")]
    [InlineData("#")]
    [InlineData("acmé")]
    [InlineData("ａcme")]
    [InlineData("ac\nme")]
    [InlineData("acme\t")]
    public void Anything_else_is_invalid(string value) => Assert.False(Slug.IsValid(value));

    [Theory]
    [InlineData("acme\n")]
    [InlineData("acme\r\n")]
    [InlineData("\nacme")]
    public void A_line_break_at_either_end_is_invalid(string value) => Assert.False(Slug.IsValid(value));

    [Fact]
    public void Null_is_invalid() => Assert.False(Slug.IsValid(null));

    [Fact]
    public void Require_returns_a_valid_slug_unchanged() => Assert.Equal("acme-corp", Slug.Require("acme-corp", "orgId"));

    [Fact]
    public void Require_refuses_an_invalid_slug_with_the_validation_code()
    {
        var refusal = Assert.Throws<FleetMfaException>(() => Slug.Require("Acme Corp", "orgId"));
        Assert.Equal(ErrorCodes.Validation, refusal.Code);
        Assert.Contains("orgId", refusal.Message, StringComparison.Ordinal);
    }
}
