namespace FleetMfa.Protocol.Documents;

/// <summary>
/// A signing-key rotation, carried on every signed desired state while the control plane rotates its key: the new
/// key's public half (<see cref="PublicKey"/>, SubjectPublicKeyInfo) signed by the key it replaces (<see cref="Kid"/>
/// names that one; <see cref="Sig"/>, IEEE P1363 <c>r‖s</c>, over <see cref="Signing.DesiredStateSignature.KeyContext"/>
/// and the new key's bytes). An agent that pinned the old key trusts the new one only through this, and pins it then.
/// </summary>
public sealed record KeyEndorsement(byte[] PublicKey, byte[] Sig, string Kid);
