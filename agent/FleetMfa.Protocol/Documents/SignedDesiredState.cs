namespace FleetMfa.Protocol.Documents;

/// <summary>
/// What travels on <c>…/desired</c>: a <see cref="DesiredState"/> document as the exact bytes the control plane signed
/// (<see cref="Payload"/>, base64 in JSON), its ECDSA P-256 signature (<see cref="Sig"/>, IEEE P1363 <c>r‖s</c>, 64
/// bytes) and the id of the signing key (<see cref="Kid"/>). The document itself names the org, the device and the
/// version, so the signature binds all three; an agent reads nothing of the payload before the signature checks out
/// (<see cref="Signing.DesiredStateVerifier"/>).
/// </summary>
public sealed record SignedDesiredState(byte[] Payload, byte[] Sig, string Kid);
