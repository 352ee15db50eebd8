using System.Text.Json.Serialization;

namespace FleetMfa.Protocol.Documents;

/// <summary>
/// What travels on <c>…/desired</c>: a <see cref="DesiredState"/> document as the exact bytes the control plane signed
/// (<see cref="Payload"/>, base64 in JSON), its ECDSA P-256 signature (<see cref="Sig"/>, IEEE P1363 <c>r‖s</c>, 64
/// bytes) and the id of the signing key (<see cref="Kid"/>). The document itself names the org, the device and the
/// version, so the signature binds all three; an agent reads nothing of the payload before the signature checks out
/// (<see cref="Signing.DesiredStateVerifier"/>). While the control plane rotates its key, <see cref="Endorsement"/> carries
/// the signing key endorsed by the one it replaces, so an agent that pinned the old key can trust, and pin, the new one.
/// </summary>
public sealed record SignedDesiredState(
    byte[] Payload,
    byte[] Sig,
    string Kid,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] KeyEndorsement? Endorsement = null);
