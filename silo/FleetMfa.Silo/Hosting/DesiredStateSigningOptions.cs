namespace FleetMfa.Silo.Hosting;

/// <summary>
/// The key that signs every desired state (section <c>FleetMfa:Signing</c>, env <c>FLEETMFA_SIGNING_KEY</c>). Every
/// silo of a cluster needs the same one: agents pin its public half at enrollment and refuse anything else.
/// </summary>
public sealed class DesiredStateSigningOptions
{
    public const string SectionName = "FleetMfa:Signing";

    /// <summary>
    /// A P-256 private key, PKCS#8 DER in base64. When empty, one is generated once into
    /// <c>{DataDirectory}/signing.key</c> (0600).
    /// </summary>
    public string PrivateKey { get; set; } = "";

    /// <summary>
    /// During a key rotation: the key <see cref="PrivateKey"/> replaces (env <c>FLEETMFA_SIGNING_KEY_PREVIOUS</c>, same
    /// form). Every message then carries the previous key's endorsement of the new one, and an agent that pinned the
    /// previous key pins the new one with the first message it trusts. Keep it set until every device has taken a
    /// desired state since the rotation; empty: no rotation under way.
    /// </summary>
    public string PreviousPrivateKey { get; set; } = "";
}
