namespace FleetMfa.Protocol.Signing;

/// <summary>
/// Why an agent refused a message on its <c>desired</c> topic: the stable words of its log line and of the audit event
/// <c>untrusted-desired-state</c> (never anything of the message itself).
/// </summary>
public static class UntrustedReasons
{
    /// <summary>Larger than any desired state the agent reads; not looked at.</summary>
    public const string TooLarge = "too-large";

    /// <summary>Not a signed desired state at all (e.g. a bare document, or garbage).</summary>
    public const string NotSigned = "not-signed";

    /// <summary>The agent has no pinned key (enrolled before desired states were signed): it trusts nothing.</summary>
    public const string NoPinnedKey = "no-pinned-key";

    /// <summary>Signed by a key other than the one pinned at enrollment.</summary>
    public const string UnknownKey = "unknown-key";

    /// <summary>
    /// Signed by another key and carrying a <see cref="Documents.KeyEndorsement"/> that the pinned key did not make (or
    /// that endorses a key other than the signer): a rotation the agent cannot trust.
    /// </summary>
    public const string BadEndorsement = "bad-endorsement";

    /// <summary>Names the pinned key, but the signature does not verify (forged, tampered, truncated).</summary>
    public const string BadSignature = "bad-signature";

    /// <summary>Validly signed, but not a desired-state document this agent understands.</summary>
    public const string MalformedDocument = "malformed-document";

    /// <summary>Validly signed, for another org or device.</summary>
    public const string OtherDevice = "other-device";

    /// <summary>Validly signed, for this device, but older than the version it applied (a replay).</summary>
    public const string ReplayedVersion = "replayed-version";
}
