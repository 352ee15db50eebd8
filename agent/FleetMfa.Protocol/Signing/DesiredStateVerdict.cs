using FleetMfa.Protocol.Documents;

namespace FleetMfa.Protocol.Signing;

/// <summary>What <see cref="DesiredStateVerifier.Open"/> found: the document, when it can be trusted; else why not (<see cref="UntrustedReasons"/>).</summary>
public sealed record DesiredStateVerdict(DesiredState? Desired, string? Untrusted)
{
    public static DesiredStateVerdict Refused(string reason) => new(null, reason);
}
