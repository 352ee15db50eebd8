namespace FleetMfa.Protocol.Sealing;

/// <summary>
/// A secret sealed to one device: <see cref="EphemeralKey"/> is the sender's ephemeral P-256 public key
/// (SubjectPublicKeyInfo), <see cref="Ciphertext"/> is AES-256-GCM output followed by its 16-byte tag.
/// </summary>
public sealed record SealedSecret(byte[] EphemeralKey, byte[] Nonce, byte[] Ciphertext);
