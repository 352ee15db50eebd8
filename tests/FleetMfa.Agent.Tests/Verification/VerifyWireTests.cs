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
        Assert.True(VerifyWire.TryDecodeRequest(request, out var decodedUser, out var uid, out var decodedCode));
        Assert.Equal((user, (uint?)null, code), (decodedUser, uid, decodedCode));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1000u)]
    [InlineData(65534u)]
    [InlineData(VerifyWire.MaxUid)]
    public void A_request_with_a_uid_decodes_to_what_was_encoded(uint uid)
    {
        var request = VerifyWire.EncodeRequest("ALICE", uid, "123456");

        Assert.NotNull(request);
        Assert.True(VerifyWire.TryDecodeRequest(request, out var user, out var decodedUid, out var code));
        Assert.Equal(("ALICE", (uint?)uid, "123456"), (user, decodedUid, code));
    }

    [Fact]
    public void A_request_without_a_uid_is_the_first_versions_bytes_exactly()
    {
        // A daemon of the previous version still understands every request that carries no uid.
        Assert.Equal([.. "FMV1"u8, 5, .. "alice"u8, 6, .. "123456"u8], VerifyWire.EncodeRequest("alice", null, "123456"));
    }

    [Fact]
    public void A_request_with_a_uid_is_versioned_and_ends_in_the_uid_big_endian()
    {
        Assert.Equal([.. "FMV2"u8, 5, .. "alice"u8, 6, .. "123456"u8, 0x00, 0x01, 0x02, 0x03], VerifyWire.EncodeRequest("alice", 0x00010203, "123456"));
    }

    public static TheoryData<string, byte[]> MalformedWithUid => new()
    {
        { "v2 without its uid", [.. "FMV2"u8, 5, .. "alice"u8, 6, .. "123456"u8] },
        { "v2 with a short uid", [.. "FMV2"u8, 5, .. "alice"u8, 6, .. "123456"u8, 0, 0, 1] },
        { "v2 with a byte too many", [.. "FMV2"u8, 5, .. "alice"u8, 6, .. "123456"u8, 0, 0, 0, 1, 0] },
        { "v2 with uid (uid_t)-1", [.. "FMV2"u8, 5, .. "alice"u8, 6, .. "123456"u8, 0xFF, 0xFF, 0xFF, 0xFF] },
        { "v1 with a uid", [.. "FMV1"u8, 5, .. "alice"u8, 6, .. "123456"u8, 0, 0, 0, 1] },
        { "unknown version", [.. "FMV3"u8, 5, .. "alice"u8, 6, .. "123456"u8, 0, 0, 0, 1] },
    };

    [Theory]
    [MemberData(nameof(MalformedWithUid))]
    public void A_request_whose_uid_part_is_wrong_is_refused(string name, byte[] request) =>
        Assert.False(VerifyWire.TryDecodeRequest(request, out _, out _, out _), name);

    [Fact]
    public void The_longest_user_and_code_the_cli_accepts_fit_a_request()
    {
        var request = VerifyWire.EncodeRequest(new string('€', VerifyWire.MaxUserChars), VerifyWire.MaxUid, new string('€', 16));

        Assert.NotNull(request);
        Assert.True(request.Length <= VerifyWire.MaxRequestBytes);
        Assert.True(VerifyWire.TryDecodeRequest(request, out _, out _, out _));
    }

    [Fact]
    public void What_cannot_travel_is_not_encoded()
    {
        Assert.Null(VerifyWire.EncodeRequest("", "123456"));
        Assert.Null(VerifyWire.EncodeRequest(new string('a', VerifyWire.MaxUserChars + 1), "123456"));
        Assert.Null(VerifyWire.EncodeRequest("alice", new string('1', 17)));
        Assert.Null(VerifyWire.EncodeRequest(new string('\ud800', 1), "123456"));
        Assert.Null(VerifyWire.EncodeRequest("alice", uint.MaxValue, "123456"));
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
