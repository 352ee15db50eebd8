using FleetMfa.Agent.Verification;

namespace FleetMfa.Agent.Tests.Verification;

public sealed class VerifyWireTests
{
    [Theory]
    [InlineData("alice", "123456")]
    [InlineData("alice", "")]
    [InlineData("Zoë.Ñ-ü", "1234 5")]
    public void A_request_decodes_to_what_was_encoded(string user, string code)
    {
        var request = VerifyWire.EncodeRequest(user, code);

        Assert.NotNull(request);
        Assert.True(VerifyWire.TryDecodeRequest(request, out var decodedUser, out var decodedCode));
        Assert.Equal((user, code), (decodedUser, decodedCode));
    }

    [Fact]
    public void The_longest_user_and_code_the_cli_accepts_fit_a_request()
    {
        var request = VerifyWire.EncodeRequest(new string('€', VerifyWire.MaxUserChars), new string('€', 16));

        Assert.NotNull(request);
        Assert.True(request.Length <= VerifyWire.MaxRequestBytes);
        Assert.True(VerifyWire.TryDecodeRequest(request, out _, out _));
    }

    [Fact]
    public void What_cannot_travel_is_not_encoded()
    {
        Assert.Null(VerifyWire.EncodeRequest("", "123456"));
        Assert.Null(VerifyWire.EncodeRequest(new string('a', VerifyWire.MaxUserChars + 1), "123456"));
        Assert.Null(VerifyWire.EncodeRequest("alice", new string('1', 17)));
        Assert.Null(VerifyWire.EncodeRequest(new string('\ud800', 1), "123456"));
    }

    [Fact]
    public void Only_known_outcomes_are_replies()
    {
        Assert.Equal(VerifyOutcome.Accepted, VerifyWire.TryDecodeReply(VerifyWire.EncodeReply(0)));
        Assert.Equal(VerifyOutcome.LockedOut, VerifyWire.TryDecodeReply(VerifyWire.EncodeReply(3)));
        Assert.Equal(VerifyOutcome.Replayed, VerifyWire.TryDecodeReply(VerifyWire.EncodeReply(11)));
        Assert.Null(VerifyWire.TryDecodeReply(VerifyWire.EncodeReply(VerifyWire.StoreError)));
        Assert.Null(VerifyWire.TryDecodeReply(VerifyWire.EncodeReply(42)));
        Assert.Null(VerifyWire.TryDecodeReply([.. "FMV1"u8]));
        Assert.Null(VerifyWire.TryDecodeReply([.. "XMV1"u8, 0]));
    }
}
