using FleetMfa.Protocol.Tls;

namespace FleetMfa.Agent.Tests.Protocol;

/// <summary>The connect key's CA pin: <c>{key}:sha256:{64 lowercase hex}</c>; a malformed pin is refused, never ignored.</summary>
public sealed class ConnectKeysTests
{
    private static readonly string Pin = new('a', 64);
    private const string Key = "fmc_0123456789abcdef_0000000000000000000000000000000000000000000000000000000000000000_acme";

    [Fact]
    public void A_pinned_key_splits_into_the_key_and_the_pin()
    {
        var composite = ConnectKeys.WithCaPin(Key, Pin);

        Assert.Equal($"{Key}:sha256:{Pin}", composite);
        Assert.True(ConnectKeys.TrySplit(composite, out var key, out var pin));
        Assert.Equal((Key, Pin), (key, pin));
    }

    [Fact]
    public void A_key_without_a_pin_splits_into_itself_and_no_pin()
    {
        Assert.True(ConnectKeys.TrySplit(Key, out var key, out var pin));
        Assert.Equal(Key, key);
        Assert.Null(pin);
    }

    [Theory]
    [InlineData(Key + ":sha256:")]
    [InlineData(Key + ":sha256:abc")]
    [InlineData(Key + ":sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData(Key + ":sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData(Key + ":sha1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData(":sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("")]
    public void A_malformed_pin_or_key_is_refused(string value) =>
        Assert.False(ConnectKeys.TrySplit(value, out _, out _));

    [Fact]
    public void Only_a_well_formed_fingerprint_can_be_attached() =>
        Assert.Throws<ArgumentException>(() => ConnectKeys.WithCaPin(Key, "ABC"));
}
