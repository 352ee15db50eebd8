using System.Security.Cryptography;
using System.Text.Json;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Protocol.Signing;

/// <summary>
/// The agent's side: opens a message from its <c>desired</c> topic with the key pinned at enrollment. A document is
/// trusted only when the message names the pinned key — or a key the pinned key endorsed (<see cref="KeyEndorsement"/>,
/// a rotation; the verdict then names it for the agent to pin) — the signature over the document's exact bytes
/// verifies, and the document is addressed to this org and device; nothing of it is parsed before the signature checks out. Whether its
/// version is newer is the caller's to judge (it holds the applied state). Audit receipts are opened the same way
/// (<see cref="OpenReceipt"/>), in their own signing context.
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
        if (Check(envelope.Kid, envelope.Endorsement, DesiredStateSignature.Context, envelope.Payload, envelope.Sig, out var endorsed) is { } refused)
        {
            return DesiredStateVerdict.Refused(refused);
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
            ? new DesiredStateVerdict(desired, null, endorsed ? envelope.Endorsement!.PublicKey : null)
            : DesiredStateVerdict.Refused(UntrustedReasons.OtherDevice);
    }

    /// <summary>
    /// A receipt from the <c>receipts</c> topic, when it is trusted: signed (in the receipt context) by the pinned key
    /// or a key it endorsed, of the current schema, for this org and device, naming at most a batch's events. Null for
    /// anything else: the agent then drops nothing from its queue.
    /// </summary>
    public AuditReceipt? OpenReceipt(ReadOnlySpan<byte> message)
    {
        if (_key is null || message.Length is 0 or > SignedAuditReceipt.MaxBytes)
        {
            return null;
        }

        try
        {
            if (JsonSerializer.Deserialize(message, ProtocolJsonContext.Default.SignedAuditReceipt) is not { Payload: not null, Sig: not null, Kid: { Length: > 0 and <= DesiredStateSignature.MaxKeyIdLength } } envelope ||
                envelope.Payload.Length > AuditReceipt.MaxBytes ||
                Check(envelope.Kid, envelope.Endorsement, DesiredStateSignature.ReceiptContext, envelope.Payload, envelope.Sig, out _) is not null)
            {
                return null;
            }

            return JsonSerializer.Deserialize(envelope.Payload, ProtocolJsonContext.Default.AuditReceipt) is
                { Schema: AuditReceipt.CurrentSchema, Stored: { Count: <= AuditEventBatch.MaxEvents } stored } receipt &&
                receipt.OrgId == _orgId && receipt.DeviceId == _deviceId && stored.All(id => id is not null)
                ? receipt
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Null when <paramref name="signature"/> over <paramref name="data"/> in <paramref name="context"/> is the pinned
    /// key's (<paramref name="kid"/> names it), or that of the key <paramref name="kid"/> names and the pinned key
    /// endorsed (<paramref name="endorsed"/>: true); else why not (<see cref="UntrustedReasons"/>).
    /// </summary>
    private string? Check(string kid, KeyEndorsement? endorsement, ReadOnlySpan<byte> context, byte[] data, byte[] signature, out bool endorsed)
    {
        endorsed = false;
        if (string.Equals(kid, _keyId, StringComparison.Ordinal))
        {
            return DesiredStateSignature.Verify(_key!, context, data, signature) ? null : UntrustedReasons.BadSignature;
        }

        if (endorsement is null)
        {
            return UntrustedReasons.UnknownKey;
        }

        using var key = OpenEndorsement(kid, endorsement);
        if (key is null)
        {
            return UntrustedReasons.BadEndorsement;
        }

        endorsed = true;
        return DesiredStateSignature.Verify(key, context, data, signature) ? null : UntrustedReasons.BadSignature;
    }

    /// <summary>
    /// The key <paramref name="kid"/> names, when the pinned key endorsed it: the endorsement names the pinned key, its
    /// key is the one <paramref name="kid"/> names, and the pinned key's signature over it verifies. Null for anything else.
    /// </summary>
    private ECDsa? OpenEndorsement(string kid, KeyEndorsement endorsement)
    {
        if (endorsement is not { PublicKey: { } newKey, Sig: { } sig, Kid: { } endorser } ||
            !string.Equals(endorser, _keyId, StringComparison.Ordinal) ||
            !string.Equals(DesiredStateSignature.KeyId(newKey), kid, StringComparison.Ordinal) ||
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
