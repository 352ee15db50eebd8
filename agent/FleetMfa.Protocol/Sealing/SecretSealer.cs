using System.Security.Cryptography;
using System.Text;

namespace FleetMfa.Protocol.Sealing;

/// <summary>
/// Seals a TOTP secret to one device's P-256 public key so that the broker and everything between the control plane
/// and the device see only ciphertext: ECDH (ephemeral-static) → HKDF-SHA256 (salt binds both public keys) →
/// AES-256-GCM, with associated data binding org, device, user and secret version. A sealed secret replayed to
/// another device, user or version does not open.
/// </summary>
public static class SecretSealer
{
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int MaxSecretSize = 64;
    private const int MaxKeySize = 256;
    private static readonly byte[] Info = "fleetmfa/sealed-secret/v1"u8.ToArray();
    private static readonly string P256Oid = ECCurve.NamedCurves.nistP256.Oid.Value!;

    public static byte[] AssociatedData(string orgId, string deviceId, string userId, int secretVersion) =>
        Encoding.UTF8.GetBytes($"fleetmfa/sealed-secret/v1|{orgId}|{deviceId}|{userId}|{secretVersion}");

    /// <summary>Seals <paramref name="secret"/> to the device key given as SubjectPublicKeyInfo (DER).</summary>
    public static SealedSecret Seal(ReadOnlySpan<byte> devicePublicKey, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> associatedData)
    {
        if (secret.Length is 0 or > MaxSecretSize)
        {
            throw new ArgumentException($"A secret is 1–{MaxSecretSize} bytes.", nameof(secret));
        }

        using var recipient = ImportP256PublicKey(devicePublicKey);
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var ephemeralKey = ephemeral.ExportSubjectPublicKeyInfo();
        var key = DeriveKey(ephemeral, recipient.PublicKey, ephemeralKey, devicePublicKey);
        try
        {
            var nonce = RandomNumberGenerator.GetBytes(NonceSize);
            var ciphertext = new byte[secret.Length + TagSize];
            using var aes = new AesGcm(key, TagSize);
            aes.Encrypt(nonce, secret, ciphertext.AsSpan(0, secret.Length), ciphertext.AsSpan(secret.Length), associatedData);
            return new SealedSecret(ephemeralKey, nonce, ciphertext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Opens a sealed secret with the device's private key; throws <see cref="CryptographicException"/> if it was not sealed to this device, user and version, or was altered.</summary>
    public static byte[] Unseal(ECDiffieHellman deviceKey, SealedSecret sealedSecret, ReadOnlySpan<byte> associatedData)
    {
        ArgumentNullException.ThrowIfNull(deviceKey);
        ArgumentNullException.ThrowIfNull(sealedSecret);
        if (sealedSecret.Nonce is not { Length: NonceSize } ||
            sealedSecret.Ciphertext is not { Length: > TagSize and <= MaxSecretSize + TagSize } ||
            sealedSecret.EphemeralKey is not { Length: > 0 and <= MaxKeySize })
        {
            throw new CryptographicException("Malformed sealed secret.");
        }

        using var ephemeral = ImportP256PublicKey(sealedSecret.EphemeralKey);
        var key = DeriveKey(deviceKey, ephemeral.PublicKey, sealedSecret.EphemeralKey, deviceKey.ExportSubjectPublicKeyInfo());
        try
        {
            var length = sealedSecret.Ciphertext.Length - TagSize;
            var secret = new byte[length];
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(sealedSecret.Nonce, sealedSecret.Ciphertext.AsSpan(0, length), sealedSecret.Ciphertext.AsSpan(length), secret, associatedData);
            return secret;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Imports a SubjectPublicKeyInfo and insists on P-256.</summary>
    public static ECDiffieHellman ImportP256PublicKey(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        if (subjectPublicKeyInfo.Length is 0 or > MaxKeySize)
        {
            throw new CryptographicException("Malformed public key.");
        }

        var key = ECDiffieHellman.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out var read);
            if (read != subjectPublicKeyInfo.Length || key.ExportParameters(false).Curve.Oid.Value != P256Oid)
            {
                throw new CryptographicException("The public key is not a P-256 key.");
            }

            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static byte[] DeriveKey(ECDiffieHellman own, ECDiffieHellmanPublicKey peer, ReadOnlySpan<byte> ephemeralKey, ReadOnlySpan<byte> deviceKey)
    {
        var shared = own.DeriveRawSecretAgreement(peer);
        try
        {
            var salt = new byte[ephemeralKey.Length + deviceKey.Length];
            ephemeralKey.CopyTo(salt);
            deviceKey.CopyTo(salt.AsSpan(ephemeralKey.Length));
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, salt, Info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }
}
