using FleetMfa.Protocol.Documents;

namespace FleetMfa.Protocol.Signing;

/// <summary>
/// What <see cref="DesiredStateVerifier.Open"/> found: the document, when it can be trusted; else why not
/// (<see cref="UntrustedReasons"/>). <see cref="RotatedKey"/>: the document was signed by a new key the pinned one
/// endorsed (SubjectPublicKeyInfo), which the agent pins from now on.
/// </summary>
public sealed record DesiredStateVerdict(DesiredState? Desired, string? Untrusted, byte[]? RotatedKey = null)
{
    public static DesiredStateVerdict Refused(string reason) => new(null, reason);
}
