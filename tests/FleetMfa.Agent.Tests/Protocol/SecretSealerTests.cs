using System.Security.Cryptography;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Protocol.Sealing;

namespace FleetMfa.Agent.Tests.Protocol;

public sealed class SecretSealerTests : IDisposable
{
    private static readonly byte[] _secret = TestTotp.Secret("sealed secret");
    private static readonly byte[] _aad = SecretSealer.AssociatedData("acme", "dev-1", "alice", 3);

    private readonly ECDiffieHellman _device = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDiffieHellman _otherDevice = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

    private SealedSecret SealToDevice() => SecretSealer.Seal(_device.ExportSubjectPublicKeyInfo(), _secret, _aad);

    [Fact]
    public void A_sealed_secret_opens_with_the_device_key()
    {
        var sealedSecret = SealToDevice();

        Assert.Equal(_secret, SecretSealer.Unseal(_device, sealedSecret, _aad));
    }

    [Fact]
    public void The_sealed_form_carries_neither_the_secret_nor_its_encodings()
    {
        var sealedSecret = SealToDevice();
        var wire = sealedSecret.EphemeralKey.Concat(sealedSecret.Nonce).Concat(sealedSecret.Ciphertext).ToArray();

        Assert.Equal(SecretSealer.NonceSize, sealedSecret.Nonce.Length);
        Assert.Equal(_secret.Length + SecretSealer.TagSize, sealedSecret.Ciphertext.Length);
        Assert.All(Encodings.LeakForms(_secret), form => Assert.False(Encodings.Contains(wire, form)));
    }

    [Fact]
    public void Two_seals_of_the_same_secret_differ()
    {
        var first = SealToDevice();
        var second = SealToDevice();

        Assert.NotEqual(first.EphemeralKey, second.EphemeralKey);
        Assert.NotEqual(first.Nonce, second.Nonce);
        Assert.NotEqual(first.Ciphertext, second.Ciphertext);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(20)]
    [InlineData(35)]
    public void A_tampered_ciphertext_does_not_open(int index)
    {
        var sealedSecret = SealToDevice();
        sealedSecret.Ciphertext[index] ^= 0x01;

        Assert.ThrowsAny<CryptographicException>(() => SecretSealer.Unseal(_device, sealedSecret, _aad));
    }

    [Fact]
    public void A_truncated_ciphertext_does_not_open()
    {
        var sealedSecret = SealToDevice();

        Assert.ThrowsAny<CryptographicException>(() => SecretSealer.Unseal(_device, sealedSecret with { Ciphertext = sealedSecret.Ciphertext[..^1] }, _aad));
        Assert.ThrowsAny<CryptographicException>(() => SecretSealer.Unseal(_device, sealedSecret with { Ciphertext = sealedSecret.Ciphertext[..SecretSealer.TagSize] }, _aad));
    }

    [Fact]
    public void A_tampered_nonce_does_not_open()
    {
        var sealedSecret = SealToDevice();
        sealedSecret.Nonce[0] ^= 0x80;

        Assert.ThrowsAny<CryptographicException>(() => SecretSealer.Unseal(_device, sealedSecret, _aad));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    [InlineData(16)]
    public void A_nonce_of_the_wrong_length_does_not_open(int length)
    {
        var sealedSecret = SealToDevice();

        Assert.ThrowsAny<CryptographicException>(() => SecretSealer.Unseal(_device, sealedSecret with { Nonce = new byte[length] }, _aad));
    }

    [Fact]
    public void A_tampered_ephemeral_key_does_not_open()
    {
        var sealedSecret = SealToDevice();
        sealedSecret.EphemeralKey[^1] ^= 0x01;

        Assert.ThrowsAny<CryptographicException>(() => SecretSealer.Unseal(_device, sealedSecret, _aad));
    }

    [Fact]
    public void A_swapped_ephemeral_key_does_not_open()
    {
        var sealedSecret = SealToDevice();
        using var stranger = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

        Assert.ThrowsAny<CryptographicException>(() => SecretSealer.Unseal(_device, sealedSecret with { EphemeralKey = stranger.ExportSubjectPublicKeyInfo() }, _aad));
    }

    [Theory]
    [InlineData("other-org", "dev-1", "alice", 3)]
    [InlineData("acme", "dev-2", "alice", 3)]
    [InlineData("acme", "dev-1", "bob", 3)]
    [InlineData("acme", "dev-1", "alice", 2)]
    [InlineData("acme", "dev-1", "alice", 4)]
    public void A_secret_bound_to_other_associated_data_does_not_open(string orgId, string deviceId, string userId, int secretVersion)
    {
        var sealedSecret = SealToDevice();

        Assert.ThrowsAny<CryptographicException>(() => SecretSealer.Unseal(_device, sealedSecret, SecretSealer.AssociatedData(orgId, deviceId, userId, secretVersion)));
    }

    [Fact]
    public void A_secret_sealed_to_one_device_does_not_open_on_another()
    {
        var sealedSecret = SealToDevice();

        Assert.ThrowsAny<CryptographicException>(() => SecretSealer.Unseal(_otherDevice, sealedSecret, _aad));
    }

    [Fact]
    public void Seal_refuses_a_p384_public_key()
    {
        using var p384 = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);

        Assert.ThrowsAny<CryptographicException>(() => SecretSealer.Seal(p384.ExportSubjectPublicKeyInfo(), _secret, _aad));
    }

    [Fact]
    public void Seal_refuses_an_rsa_public_key()
    {
        using var rsa = RSA.Create(2048);

        Assert.ThrowsAny<CryptographicException>(() => SecretSealer.Seal(rsa.ExportSubjectPublicKeyInfo(), _secret, _aad));
    }

    [Fact]
    public void Seal_refuses_a_public_key_with_trailing_bytes()
    {
        var key = _device.ExportSubjectPublicKeyInfo().Append((byte)0).ToArray();

        Assert.ThrowsAny<CryptographicException>(() => SecretSealer.Seal(key, _secret, _aad));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void Seal_refuses_empty_or_oversized_secrets(int length) =>
        Assert.Throws<ArgumentException>(() => SecretSealer.Seal(_device.ExportSubjectPublicKeyInfo(), new byte[length], _aad));

    [Fact]
    public void The_associated_data_names_org_device_user_and_version() =>
        Assert.Equal("fleetmfa/sealed-secret/v1|acme|dev-1|alice|3"u8.ToArray(), _aad);

    public void Dispose()
    {
        _device.Dispose();
        _otherDevice.Dispose();
    }
}
