using FleetMfa.Grains.Security;

namespace FleetMfa.Tests.Security;

public class ApiKeysTests
{
    private static readonly string _keyId = new('a', 16);
    private static readonly string _secret = new('b', 64);

    [Theory]
    [InlineData("acme")]
    [InlineData("acme_corp")]
    [InlineData("acme.eu_west-1")]
    [InlineData("a_b_c_d")]
    [InlineData("0")]
    public void An_operator_key_parses_back_to_its_org_key_id_and_secret(string orgId)
    {
        var (keyId, secret, key) = ApiKeys.NewOrgKey(ApiKeys.OperatorPrefix, orgId);

        Assert.StartsWith("fmk_", key, StringComparison.Ordinal);
        Assert.True(ApiKeys.TryParseOrgKey(key, ApiKeys.OperatorPrefix, out var parsedOrg, out var parsedKeyId, out var parsedSecret));
        Assert.Equal(orgId, parsedOrg);
        Assert.Equal(keyId, parsedKeyId);
        Assert.Equal(secret, parsedSecret);
    }

    [Fact]
    public void Operator_keys_have_a_16_hex_id_and_a_256_bit_hex_secret()
    {
        var (keyId, secret, _) = ApiKeys.NewOrgKey(ApiKeys.OperatorPrefix, "acme");

        Assert.Matches("^[0-9a-f]{16}$", keyId);
        Assert.Matches("^[0-9a-f]{64}$", secret);
        Assert.NotEqual(secret, ApiKeys.NewOrgKey(ApiKeys.OperatorPrefix, "acme").Secret);
    }

    public static TheoryData<string> MalformedKeys => new()
    {
        "",
        "fmk",
        "fmk_",
        $"fmk_{_keyId}_{_secret}",
        $"fmk_{_keyId}_{_secret}_",
        $"fma_{_keyId}_{_secret}_acme",
        $"FMK_{_keyId}_{_secret}_acme",
        $"fmk_{_keyId[..15]}_{_secret}_acme",
        $"fmk_{_keyId}a_{_secret}_acme",
        $"fmk_{_keyId}_{_secret[..63]}_acme",
        $"fmk_{_keyId}_{_secret}b_acme",
        $"fmk_{_keyId}_{_secret}_Acme",
        $"fmk_{_keyId}_{_secret}_acme corp",
        $"fmk_{_keyId}_{_secret}_-acme",
        $"fmk_{_keyId}_{_secret}_acme/other",
        $"fmk_{_keyId}_{_secret}_acme\n",
        $"fmk__{_keyId}_{_secret}_acme",
        ApiKeys.NewAdminKey(),
    };

    [Theory]
    [MemberData(nameof(MalformedKeys))]
    public void Malformed_operator_keys_are_refused(string key)
    {
        Assert.False(ApiKeys.TryParseOrgKey(key, ApiKeys.OperatorPrefix, out var orgId, out var keyId, out var secret));
        Assert.Null(orgId);
        Assert.Null(keyId);
        Assert.Null(secret);
    }

    [Fact]
    public void The_admin_key_is_fma_and_a_256_bit_hex_secret() =>
        Assert.Matches("^fma_[0-9a-f]{64}$", ApiKeys.NewAdminKey());

    [Fact]
    public void Hashes_compare_equal_only_for_the_same_secret()
    {
        var hash = ApiKeys.Hash(_secret);

        Assert.Equal(32, hash.Length);
        Assert.True(ApiKeys.HashesEqual(hash, ApiKeys.Hash(new string('b', 64))));
        Assert.False(ApiKeys.HashesEqual(hash, ApiKeys.Hash(new string('b', 63) + "c")));
        Assert.False(ApiKeys.HashesEqual(hash, hash.AsSpan(0, 31)));
        Assert.False(ApiKeys.HashesEqual(hash, []));
    }
}
