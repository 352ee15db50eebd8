using System.Security.Cryptography;
using System.Text;
using FleetMfa.Grains.Security;
using Microsoft.Extensions.Options;

namespace FleetMfa.Tests.Security;

public sealed class AesGcmSecretProtectorTests : IDisposable
{
    private static readonly byte[] _secret = Encoding.ASCII.GetBytes("12345678901234567890");
    private static readonly byte[] _associatedData = Encoding.UTF8.GetBytes("fleetmfa/user-secret/v1|acme|alice|1");

    private readonly AesGcmSecretProtector _protector = Create(AesGcmSecretProtector.NewKey());

    public void Dispose() => _protector.Dispose();

    private static AesGcmSecretProtector Create(string masterKey) =>
        new(Options.Create(new SecretProtectionOptions { MasterKey = masterKey }));

    [Fact]
    public void Protected_data_round_trips()
    {
        var protectedData = _protector.Protect(_secret, _associatedData);

        Assert.Equal(_secret, _protector.Unprotect(protectedData, _associatedData));
    }

    [Fact]
    public void Protected_data_does_not_contain_the_plaintext()
    {
        var protectedData = _protector.Protect(_secret, _associatedData);

        Assert.Equal(1 + 12 + 16 + _secret.Length, protectedData.Length);
        Assert.Equal(-1, protectedData.AsSpan().IndexOf(_secret));
    }

    [Fact]
    public void The_same_secret_encrypts_differently_every_time()
    {
        var ciphertexts = Enumerable.Range(0, 50).Select(_ => Convert.ToHexString(_protector.Protect(_secret, _associatedData))).ToList();

        Assert.Equal(ciphertexts.Count, ciphertexts.Distinct().Count());
    }

    [Fact]
    public void Every_tampered_byte_is_detected()
    {
        var protectedData = _protector.Protect(_secret, _associatedData);
        for (var i = 0; i < protectedData.Length; i++)
        {
            var tampered = (byte[])protectedData.Clone();
            tampered[i] ^= 0x01;
            Assert.ThrowsAny<CryptographicException>(() => _protector.Unprotect(tampered, _associatedData));
        }
    }

    [Fact]
    public void Truncated_data_is_refused()
    {
        var protectedData = _protector.Protect(_secret, _associatedData);

        Assert.ThrowsAny<CryptographicException>(() => _protector.Unprotect(protectedData.AsSpan(0, protectedData.Length - 1), _associatedData));
        Assert.ThrowsAny<CryptographicException>(() => _protector.Unprotect(protectedData.AsSpan(0, 20), _associatedData));
        Assert.ThrowsAny<CryptographicException>(() => _protector.Unprotect([], _associatedData));
    }

    [Fact]
    public void Data_bound_to_other_associated_data_does_not_decrypt()
    {
        var protectedData = _protector.Protect(_secret, _associatedData);
        var otherUser = Encoding.UTF8.GetBytes("fleetmfa/user-secret/v1|acme|mallory|1");

        Assert.ThrowsAny<CryptographicException>(() => _protector.Unprotect(protectedData, otherUser));
        Assert.ThrowsAny<CryptographicException>(() => _protector.Unprotect(protectedData, []));
    }

    [Fact]
    public void Another_master_key_does_not_decrypt()
    {
        var protectedData = _protector.Protect(_secret, _associatedData);
        using var other = Create(AesGcmSecretProtector.NewKey());

        Assert.ThrowsAny<CryptographicException>(() => other.Unprotect(protectedData, _associatedData));
    }

    [Fact]
    public void The_same_master_key_decrypts_in_another_instance()
    {
        var key = AesGcmSecretProtector.NewKey();
        using var first = Create(key);
        using var second = Create(key);

        Assert.Equal(_secret, second.Unprotect(first.Protect(_secret, _associatedData), _associatedData));
    }

    /// <summary>One protector serves every user grain of a silo, and grains of different users run in parallel.</summary>
    [Fact]
    public void Protect_and_unprotect_are_safe_to_call_from_many_threads_at_once()
    {
        const int Iterations = 20_000;
        var threads = Math.Max(4, Environment.ProcessorCount * 2);
        var failures = 0;
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < Iterations && Volatile.Read(ref failures) == 0; i++)
            {
                try
                {
                    var protectedData = _protector.Protect(_secret, _associatedData);
                    if (!_protector.Unprotect(protectedData, _associatedData).AsSpan().SequenceEqual(_secret))
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
                catch (CryptographicException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToList();

        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        Assert.Equal(0, failures);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void A_master_key_that_is_not_256_bits_is_refused(int bytes) =>
        Assert.Throws<InvalidOperationException>(() => Create(Convert.ToBase64String(new byte[bytes])));

    [Theory]
    [InlineData("not base64!")]
    [InlineData("====")]
    public void A_master_key_that_is_not_base64_is_refused(string masterKey) =>
        Assert.Throws<InvalidOperationException>(() => Create(masterKey));

    [Fact]
    public void New_keys_are_base64_of_32_random_bytes()
    {
        var key = AesGcmSecretProtector.NewKey();

        Assert.Equal(32, Convert.FromBase64String(key).Length);
        Assert.NotEqual(key, AesGcmSecretProtector.NewKey());
    }
}
