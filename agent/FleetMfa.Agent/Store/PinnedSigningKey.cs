namespace FleetMfa.Agent.Store;

/// <summary>
/// The control plane's desired-state key as enrollment gave it (SubjectPublicKeyInfo and its id): the only key whose
/// signature the daemon trusts. Kept in <c>config.json</c> (0600, replaced atomically) with the rest of the enrollment.
/// </summary>
public sealed record PinnedSigningKey(string KeyId, byte[] PublicKey);
