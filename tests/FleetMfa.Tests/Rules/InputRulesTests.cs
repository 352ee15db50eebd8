using FleetMfa.Grains;
using FleetMfa.Grains.Rules;

namespace FleetMfa.Tests.Rules;

public class InputRulesTests
{
    [Theory]
    [InlineData("web-01")]
    [InlineData("web-01.eu.example.com")]
    [InlineData("WIN_DESKTOP7")]
    public void Hostnames_of_letters_digits_dots_dashes_and_underscores_are_accepted(string hostname) =>
        Assert.Equal(hostname, InputRules.RequireHostname(hostname));

    [Theory]
    [InlineData("")]
    [InlineData("-web")]
    [InlineData("web 01")]
    [InlineData("web/01")]
    [InlineData("web-01\n")]
    [InlineData("web-01\nevil")]
    public void Other_hostnames_are_refused(string hostname) =>
        Assert.Equal(ErrorCodes.Validation, Assert.Throws<FleetMfaException>(() => InputRules.RequireHostname(hostname)).Code);

    [Theory]
    [InlineData("alice")]
    [InlineData("_svc")]
    [InlineData("j.doe-2")]
    public void Local_usernames_are_accepted(string username) =>
        Assert.Equal(username, InputRules.RequireLocalUsername(username));

    [Theory]
    [InlineData("")]
    [InlineData("-alice")]
    [InlineData("alice smith")]
    [InlineData("root\n")]
    [InlineData("root:x")]
    public void Other_local_usernames_are_refused(string username) =>
        Assert.Equal(ErrorCodes.Validation, Assert.Throws<FleetMfaException>(() => InputRules.RequireLocalUsername(username)).Code);

    [Theory]
    [InlineData("alice@example.com\n")]
    [InlineData("alice@example")]
    [InlineData("alice example.com")]
    public void Malformed_emails_are_refused(string email) =>
        Assert.Equal(ErrorCodes.Validation, Assert.Throws<FleetMfaException>(() => InputRules.OptionalEmail(email)).Code);

    [Fact]
    public void Text_is_trimmed_and_control_characters_are_refused()
    {
        Assert.Equal("Acme Corp", InputRules.RequireText("  Acme Corp ", "name", 200));
        Assert.Throws<FleetMfaException>(() => InputRules.RequireText("Acme\u0000Corp", "name", 200));
        Assert.Throws<FleetMfaException>(() => InputRules.RequireText("   ", "name", 200));
        Assert.Throws<FleetMfaException>(() => InputRules.RequireText(new string('x', 201), "name", 200));
    }
}
