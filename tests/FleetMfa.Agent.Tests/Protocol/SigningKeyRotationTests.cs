using System.Security.Cryptography;
using System.Text.Json;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Protocol.Documents;
using FleetMfa.Protocol.Signing;
using static FleetMfa.Agent.Tests.Infrastructure.SignedMessages;

namespace FleetMfa.Agent.Tests.Protocol;

/// <summary>
/// A signing-key rotation: the control plane signs with its new key and every message carries the old key's
/// endorsement of the new one (<see cref="KeyEndorsement"/>). An agent that pinned the old key trusts such a message and
/// is told to pin the new key; anything short of an endorsement by the pinned key, of exactly the key that signed, in
/// the endorsement's own signing context, is refused.
/// </summary>
public sealed class SigningKeyRotationTests : IDisposable
{
    private readonly string _oldPrivateKey = DesiredStateSigner.NewPrivateKey();
    private readonly string _newPrivateKey = DesiredStateSigner.NewPrivateKey();
    private readonly DesiredStateSigner _old;
    private readonly DesiredStateSigner _rotating;
    private readonly DesiredStateVerifier _pinnedToOld;

    public SigningKeyRotationTests()
    {
        _old = DesiredStateSigner.FromPrivateKey(_oldPrivateKey);
        _rotating = DesiredStateSigner.FromPrivateKey(_newPrivateKey, previousBase64Pkcs8: _oldPrivateKey);
        _pinnedToOld = new DesiredStateVerifier(_old.KeyId, _old.PublicKey, TestStore.OrgId, TestStore.DeviceId);
    }

    [Fact]
    public void An_agent_pinned_to_the_old_key_trusts_the_new_key_through_the_endorsement_and_is_told_to_pin_it()
    {
        var message = _rotating.Sign(Desired());

        var verdict = _pinnedToOld.Open(message);

        Assert.Null(verdict.Untrusted);
        Assert.Equal(7, verdict.Desired!.Version);
        Assert.Equal(_rotating.PublicKey, verdict.RotatedKey);
        Assert.Equal(_old.KeyId, _rotating.PreviousKeyId);
        Assert.Equal(["endorsement", "kid", "payload", "sig"], JsonDocument.Parse(message).RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Once_the_new_key_is_pinned_its_messages_are_trusted_as_they_are_and_the_old_key_is_not()
    {
        using var pinnedToNew = new DesiredStateVerifier(_rotating.KeyId, _rotating.PublicKey, TestStore.OrgId, TestStore.DeviceId);

        var verdict = pinnedToNew.Open(_rotating.Sign(Desired()));

        Assert.Null(verdict.Untrusted);
        Assert.Null(verdict.RotatedKey);
        Assert.Equal(UntrustedReasons.UnknownKey, pinnedToNew.Open(_old.Sign(Desired(version: 8, mfa: false))).Untrusted);
    }

    [Fact]
    public void An_endorsement_the_pinned_key_did_not_make_is_refused()
    {
        var stranger = DesiredStateSigner.NewPrivateKey();
        using var strangerRotation = DesiredStateSigner.FromPrivateKey(_newPrivateKey, previousBase64Pkcs8: stranger);
        var endorsement = Envelope(strangerRotation.Sign(Desired())).Endorsement!;

        // Made by a stranger's key, under its own id or under the pinned key's.
        Assert.Equal(UntrustedReasons.BadEndorsement, _pinnedToOld.Open(strangerRotation.Sign(Desired(version: 8, mfa: false))).Untrusted);
        Assert.Equal(UntrustedReasons.BadEndorsement, _pinnedToOld.Open(Message(Envelope(strangerRotation.Sign(Desired())) with { Endorsement = endorsement with { Kid = _old.KeyId } })).Untrusted);
    }

    [Fact]
    public void A_real_endorsement_does_not_vouch_for_a_message_signed_by_any_other_key()
    {
        var attacker = DesiredStateSigner.NewPrivateKey();
        using var attackerSigner = DesiredStateSigner.FromPrivateKey(attacker);
        var realEndorsement = Envelope(_rotating.Sign(Desired())).Endorsement!;
        var forged = Envelope(attackerSigner.Sign(Desired(version: long.MaxValue, mfa: false)));

        // The attacker's own key id does not match the endorsed key; claiming the endorsed key's id fails its signature.
        Assert.Equal(UntrustedReasons.BadEndorsement, _pinnedToOld.Open(Message(forged with { Endorsement = realEndorsement })).Untrusted);
        Assert.Equal(UntrustedReasons.BadSignature, _pinnedToOld.Open(Message(forged with { Endorsement = realEndorsement, Kid = _rotating.KeyId })).Untrusted);
    }

    [Fact]
    public void An_endorsement_with_a_tampered_signature_or_key_or_made_in_the_desired_state_context_is_refused()
    {
        var envelope = Envelope(_rotating.Sign(Desired()));
        var endorsement = envelope.Endorsement!;
        var tamperedSig = (byte[])endorsement.Sig.Clone();
        tamperedSig[5] ^= 0x01;
        using var oldKey = ECDsa.Create();
        oldKey.ImportPkcs8PrivateKey(Convert.FromBase64String(_oldPrivateKey), out _);

        Assert.Equal(UntrustedReasons.BadEndorsement, _pinnedToOld.Open(Message(envelope with { Endorsement = endorsement with { Sig = tamperedSig } })).Untrusted);
        Assert.Equal(UntrustedReasons.BadEndorsement, _pinnedToOld.Open(Message(envelope with { Endorsement = endorsement with { Sig = endorsement.Sig[..^1] } })).Untrusted);
        Assert.Equal(UntrustedReasons.BadEndorsement, _pinnedToOld.Open(Message(envelope with { Endorsement = endorsement with { PublicKey = _old.PublicKey } })).Untrusted);

        // The old key's signature over the new key's bytes as if they were a desired state is not an endorsement.
        var crossContext = DesiredStateSignature.Sign(oldKey, endorsement.PublicKey);
        Assert.Equal(UntrustedReasons.BadEndorsement, _pinnedToOld.Open(Message(envelope with { Endorsement = endorsement with { Sig = crossContext } })).Untrusted);
        Assert.True(DesiredStateSignature.VerifyKey(oldKey, endorsement.PublicKey, endorsement.Sig));
    }

    [Fact]
    public void A_previous_key_that_is_not_a_P256_private_key_is_refused()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        Assert.Throws<CryptographicException>(() => DesiredStateSigner.FromPrivateKey(_newPrivateKey, "not base64!"));
        Assert.Throws<CryptographicException>(() => DesiredStateSigner.FromPrivateKey(_newPrivateKey, Convert.ToBase64String(p384.ExportPkcs8PrivateKey())));
        using var noRotation = DesiredStateSigner.FromPrivateKey(_newPrivateKey, "  ");
        Assert.Null(noRotation.PreviousKeyId);
        Assert.Null(Envelope(noRotation.Sign(Desired())).Endorsement);
    }

    public void Dispose()
    {
        _pinnedToOld.Dispose();
        _rotating.Dispose();
        _old.Dispose();
    }
}
