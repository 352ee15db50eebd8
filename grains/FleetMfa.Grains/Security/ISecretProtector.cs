namespace FleetMfa.Grains.Security;

/// <summary>
/// Encrypts secrets for storage on the control plane. The key never leaves the implementation; the associated data
/// binds a ciphertext to its owner so that a blob copied to another row does not decrypt.
/// </summary>
public interface ISecretProtector
{
    byte[] Protect(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData);

    /// <summary>Decrypts into a new array the caller must clear; throws <see cref="System.Security.Cryptography.CryptographicException"/> when tampered with.</summary>
    byte[] Unprotect(ReadOnlySpan<byte> protectedData, ReadOnlySpan<byte> associatedData);
}
