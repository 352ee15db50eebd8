using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace FleetMfa.Grains.Security;

/// <summary>
/// AES-256-GCM with a random 96-bit nonce per message. Layout: <c>format(1) ‖ nonce(12) ‖ tag(16) ‖ ciphertext</c>.
/// </summary>
public sealed class AesGcmSecretProtector : ISecretProtector, IDisposable
{
    private const byte FormatV1 = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = 1 + NonceSize + TagSize;

    private readonly AesGcm _aes;

    public AesGcmSecretProtector(IOptions<SecretProtectionOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = DecodeKey(options.Value.MasterKey);
        try
        {
            _aes = new AesGcm(key, TagSize);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public byte[] Protect(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var output = new byte[HeaderSize + plaintext.Length];
        output[0] = FormatV1;
        var nonce = output.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);

        // One AesGcm (one OpenSSL context) serves the whole silo and is not thread-safe.
        lock (_aes)
        {
            _aes.Encrypt(nonce, plaintext, output.AsSpan(HeaderSize), output.AsSpan(1 + NonceSize, TagSize), associatedData);
        }

        return output;
    }

    public byte[] Unprotect(ReadOnlySpan<byte> protectedData, ReadOnlySpan<byte> associatedData)
    {
        if (protectedData.Length < HeaderSize || protectedData[0] != FormatV1)
        {
            throw new CryptographicException("Unknown protected-data format.");
        }

        var plaintext = new byte[protectedData.Length - HeaderSize];
        lock (_aes)
        {
            _aes.Decrypt(
                protectedData.Slice(1, NonceSize),
                protectedData[HeaderSize..],
                protectedData.Slice(1 + NonceSize, TagSize),
                plaintext,
                associatedData);
        }

        return plaintext;
    }

    public void Dispose() => _aes.Dispose();

    /// <summary>Decodes and checks a base64 256-bit key.</summary>
    public static byte[] DecodeKey(string base64)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64);
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException("The secret-protection master key is not valid base64.", ex);
        }

        if (key.Length != 32)
        {
            CryptographicOperations.ZeroMemory(key);
            throw new InvalidOperationException("The secret-protection master key must be 32 bytes (256 bits).");
        }

        return key;
    }

    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
