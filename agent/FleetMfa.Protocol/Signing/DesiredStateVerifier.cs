using System.Security.Cryptography;
using System.Text.Json;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Protocol.Signing;

/// <summary>
/// The agent's side: opens a message from its <c>desired</c> topic with the key pinned at enrollment. A document is
/// trusted only when the message names the pinned key, the signature over the document's exact bytes verifies, and the
/// document is addressed to this org and device; nothing of it is parsed before the signature checks out. Whether its
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

        if (!string.Equals(envelope.Kid, _keyId, StringComparison.Ordinal))
        {
            return DesiredStateVerdict.Refused(UntrustedReasons.UnknownKey);
        }

        if (!DesiredStateSignature.Verify(_key, envelope.Payload, envelope.Sig))
        {
            return DesiredStateVerdict.Refused(UntrustedReasons.BadSignature);
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
            ? new DesiredStateVerdict(desired, null)
            : DesiredStateVerdict.Refused(UntrustedReasons.OtherDevice);
    }

    public void Dispose() => _key?.Dispose();
}
