using System.Security.Cryptography;
using System.Text.Json;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Protocol.Signing;

/// <summary>
/// The agent's side: opens a message from its <c>desired</c> topic with the key pinned at enrollment. A document is
/// trusted only when the message names the pinned key — or a key the pinned key endorsed (<see cref="KeyEndorsement"/>,
/// a rotation; the verdict then names it for the agent to pin) — the signature over the document's exact bytes
/// verifies, and the document is addressed to this org and device; nothing of it is parsed before the signature checks out. Whether its
/// version is newer is the caller's to judge (it holds the applied state).
/// </summary>
public sealed class DesiredStateVerifier : IDisposable
{
    private readonly ECDsa? _key;
    private readonly string? _keyId;
    private readonly string _orgId;
    private readonly string _deviceId;

    /// <summary>
    /// A verifier for <paramref name="orgId"/>/<paramref name="deviceId"/> with the pinned key; with no key
    /// (<paramref name="publicKey"/> null) it refuses everything. Throws <see cref="CryptographicException"/> when the
    /// pinned key is not a P-256 public key or <paramref name="keyId"/> is not its id.
    /// </summary>
    public DesiredStateVerifier(string? keyId, byte[]? publicKey, string orgId, string deviceId)
    {
        (_orgId, _deviceId) = (orgId, deviceId);
        if (publicKey is null)
        {
            return;
        }

        if (keyId != DesiredStateSignature.KeyId(publicKey))
        {
            throw new CryptographicException("The pinned desired-state key id does not match the pinned key.");
        }

        _key = DesiredStateSignature.ImportPublicKey(publicKey);
        _keyId = keyId;
    }

    public DesiredStateVerdict Open(ReadOnlySpan<byte> message)
    {
        SignedDesiredState? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize(message, ProtocolJsonContext.Default.SignedDesiredState);
        }
        catch (JsonException)
        {
            envelope = null;
        }

        if (envelope is not { Payload: not null, Sig: not null, Kid: { Length: > 0 and <= DesiredStateSignature.MaxKeyIdLength } })
        {
            return DesiredStateVerdict.Refused(UntrustedReasons.NotSigned);
        }

        if (_key is null)
        {
            return DesiredStateVerdict.Refused(UntrustedReasons.NoPinnedKey);
        }

        // A document signed by another key is trusted only through an endorsement of that key by the pinned one (a
        // rotation); it is then checked with the endorsed key, and the agent pins that key once it trusts the document.
        ECDsa? endorsed = null;
        if (!string.Equals(envelope.Kid, _keyId, StringComparison.Ordinal))
        {
            if (envelope.Endorsement is null)
            {
                return DesiredStateVerdict.Refused(UntrustedReasons.UnknownKey);
            }

            endorsed = OpenEndorsement(envelope);
            if (endorsed is null)
            {
                return DesiredStateVerdict.Refused(UntrustedReasons.BadEndorsement);
            }
        }

        using (endorsed)
        {
            if (!DesiredStateSignature.Verify(endorsed ?? _key, envelope.Payload, envelope.Sig))
            {
                return DesiredStateVerdict.Refused(UntrustedReasons.BadSignature);
            }
        }

        DesiredState? desired;
        try
        {
            desired = JsonSerializer.Deserialize(envelope.Payload, ProtocolJsonContext.Default.DesiredState);
        }
        catch (JsonException)
        {
            desired = null;
        }

        if (desired is null)
        {
            return DesiredStateVerdict.Refused(UntrustedReasons.MalformedDocument);
        }

        return desired.OrgId == _orgId && desired.DeviceId == _deviceId
            ? new DesiredStateVerdict(desired, null, endorsed is null ? null : envelope.Endorsement!.PublicKey)
            : DesiredStateVerdict.Refused(UntrustedReasons.OtherDevice);
    }

    /// <summary>
    /// The key the message is signed with, when the pinned key endorsed it: the endorsement names the pinned key, its
    /// key is the one the message names, and the pinned key's signature over it verifies. Null for anything else.
    /// </summary>
    private ECDsa? OpenEndorsement(SignedDesiredState envelope)
    {
        if (envelope.Endorsement is not { PublicKey: { } newKey, Sig: { } sig, Kid: { } endorser } ||
            !string.Equals(endorser, _keyId, StringComparison.Ordinal) ||
            !string.Equals(DesiredStateSignature.KeyId(newKey), envelope.Kid, StringComparison.Ordinal) ||
            !DesiredStateSignature.VerifyKey(_key!, newKey, sig))
        {
            return null;
        }

        try
        {
            return DesiredStateSignature.ImportPublicKey(newKey);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    public void Dispose() => _key?.Dispose();
}
