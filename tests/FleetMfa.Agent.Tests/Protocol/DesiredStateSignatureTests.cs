using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;
using FleetMfa.Protocol.Signing;
using static FleetMfa.Agent.Tests.Infrastructure.SignedMessages;

namespace FleetMfa.Agent.Tests.Protocol;

/// <summary>
/// The control plane signs each desired state over its exact bytes (<see cref="DesiredStateSigner"/>); an agent trusts
/// one only when it names the pinned key, the signature verifies and the document is addressed to it
/// (<see cref="DesiredStateVerifier"/>). Every other message is refused with a stable reason and never parsed.
/// </summary>
public sealed class DesiredStateSignatureTests : IDisposable
{
    private readonly DesiredStateSigner _signer = DesiredStateSigner.FromPrivateKey(DesiredStateSigner.NewPrivateKey());
    private readonly DesiredStateSigner _otherSigner = DesiredStateSigner.FromPrivateKey(DesiredStateSigner.NewPrivateKey());
    private readonly DesiredStateVerifier _verifier;

    public DesiredStateSignatureTests() => _verifier = new DesiredStateVerifier(_signer.KeyId, _signer.PublicKey, TestStore.OrgId, TestStore.DeviceId);

    [Fact]
    public void A_document_signed_with_the_pinned_key_for_this_device_is_trusted_as_signed()
    {
        var desired = Desired();

        var verdict = _verifier.Open(_signer.Sign(desired));

        Assert.Null(verdict.Untrusted);
        Assert.Equal(desired with { Users = [] }, verdict.Desired! with { Users = [] });
    }

    [Fact]
    public void The_message_carries_the_exact_document_bytes_the_signature_covers_and_the_key_id()
    {
        var desired = Desired();
        var envelope = Envelope(_signer.Sign(desired));

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(desired, ProtocolJsonContext.Default.DesiredState), envelope.Payload);
        Assert.Equal(_signer.KeyId, envelope.Kid);
        Assert.Equal(DesiredStateSignature.SignatureSize, envelope.Sig.Length);
        Assert.Matches("^p256-[0-9a-f]{16}$", envelope.Kid);
        Assert.Equal(["kid", "payload", "sig"], JsonDocument.Parse(Message(envelope)).RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Any_byte_of_the_document_changed_breaks_the_signature()
    {
        var envelope = Envelope(_signer.Sign(Desired()));

        for (var i = 0; i < envelope.Payload.Length; i++)
        {
            var tampered = (byte[])envelope.Payload.Clone();
            tampered[i] ^= 0x01;
            Assert.Equal(UntrustedReasons.BadSignature, _verifier.Open(Message(envelope with { Payload = tampered })).Untrusted);
        }
    }

    [Fact]
    public void A_tampered_or_truncated_signature_is_refused()
    {
        var envelope = Envelope(_signer.Sign(Desired()));

        for (var i = 0; i < envelope.Sig.Length; i += 7)
        {
            var tampered = (byte[])envelope.Sig.Clone();
            tampered[i] ^= 0x80;
            Assert.Equal(UntrustedReasons.BadSignature, _verifier.Open(Message(envelope with { Sig = tampered })).Untrusted);
        }

        Assert.Equal(UntrustedReasons.BadSignature, _verifier.Open(Message(envelope with { Sig = envelope.Sig[..^1] })).Untrusted);
        Assert.Equal(UntrustedReasons.BadSignature, _verifier.Open(Message(envelope with { Sig = [] })).Untrusted);
        Assert.Equal(UntrustedReasons.BadSignature, _verifier.Open(Message(envelope with { Payload = envelope.Payload[..^1] })).Untrusted);
    }

    [Fact]
    public void A_truncated_message_is_not_a_signed_desired_state()
    {
        var message = _signer.Sign(Desired());

        foreach (var length in new[] { 0, 1, message.Length / 2, message.Length - 1 })
        {
            Assert.Equal(UntrustedReasons.NotSigned, _verifier.Open(message.AsSpan(0, length)).Untrusted);
        }
    }

    [Fact]
    public void Another_key_is_refused_whether_it_gives_its_own_id_or_the_pinned_one()
    {
        var forged = _otherSigner.Sign(Desired(version: 8, mfa: false));

        Assert.Equal(UntrustedReasons.UnknownKey, _verifier.Open(forged).Untrusted);
        Assert.Equal(UntrustedReasons.BadSignature, _verifier.Open(Message(Envelope(forged) with { Kid = _signer.KeyId })).Untrusted);
        Assert.Equal(UntrustedReasons.UnknownKey, _verifier.Open(Message(Envelope(_signer.Sign(Desired())) with { Kid = "p256-0000000000000000" })).Untrusted);
    }

    [Fact]
    public void A_valid_signature_over_another_device_s_or_org_s_document_is_refused()
    {
        Assert.Equal(UntrustedReasons.OtherDevice, _verifier.Open(_signer.Sign(Desired(deviceId: "dev-2"))).Untrusted);
        Assert.Equal(UntrustedReasons.OtherDevice, _verifier.Open(_signer.Sign(Desired(orgId: "other-org"))).Untrusted);
    }

    [Fact]
    public void A_bare_document_or_anything_but_a_signed_message_is_not_signed()
    {
        var bare = JsonSerializer.SerializeToUtf8Bytes(Desired(version: long.MaxValue, mfa: false), ProtocolJsonContext.Default.DesiredState);

        Assert.Equal(UntrustedReasons.NotSigned, _verifier.Open(bare).Untrusted);
        Assert.Equal(UntrustedReasons.NotSigned, _verifier.Open("null"u8).Untrusted);
        Assert.Equal(UntrustedReasons.NotSigned, _verifier.Open("{}"u8).Untrusted);
        Assert.Equal(UntrustedReasons.NotSigned, _verifier.Open("""{"payload":"","sig":"","kid":"","extra":1}"""u8).Untrusted);
        Assert.Equal(UntrustedReasons.NotSigned, _verifier.Open(Encoding.UTF8.GetBytes($$"""{"payload":"AA==","sig":"AA==","kid":"{{new string('k', 65)}}"}""")).Untrusted);
    }

    [Fact]
    public void A_signature_made_without_the_context_does_not_verify()
    {
        var document = JsonSerializer.SerializeToUtf8Bytes(Desired(), ProtocolJsonContext.Default.DesiredState);
        using var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(NewKeyFor(out var signer)), out _);
        using var verifier = new DesiredStateVerifier(signer.KeyId, signer.PublicKey, TestStore.OrgId, TestStore.DeviceId);
        var bareSignature = key.SignData(document, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

        Assert.Equal(UntrustedReasons.BadSignature, verifier.Open(Message(new SignedDesiredState(document, bareSignature, signer.KeyId))).Untrusted);
        Assert.Null(verifier.Open(Message(new SignedDesiredState(document, DesiredStateSignature.Sign(key, document), signer.KeyId))).Untrusted);
        signer.Dispose();
    }

    [Fact]
    public void A_validly_signed_message_that_is_not_a_document_is_malformed()
    {
        using var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(NewKeyFor(out var signer)), out _);
        using var verifier = new DesiredStateVerifier(signer.KeyId, signer.PublicKey, TestStore.OrgId, TestStore.DeviceId);
        var document = """{"schema":1}"""u8.ToArray();

        Assert.Equal(UntrustedReasons.MalformedDocument, verifier.Open(Message(new SignedDesiredState(document, DesiredStateSignature.Sign(key, document), signer.KeyId))).Untrusted);
        signer.Dispose();
    }

    [Fact]
    public void Without_a_pinned_key_nothing_is_trusted()
    {
        using var unpinned = new DesiredStateVerifier(null, null, TestStore.OrgId, TestStore.DeviceId);

        Assert.Equal(UntrustedReasons.NoPinnedKey, unpinned.Open(_signer.Sign(Desired())).Untrusted);
        Assert.Equal(UntrustedReasons.NotSigned, unpinned.Open(JsonSerializer.SerializeToUtf8Bytes(Desired(), ProtocolJsonContext.Default.DesiredState)).Untrusted);
    }

    [Fact]
    public void A_pinned_key_must_be_a_P256_public_key_with_its_own_id()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var p384Key = p384.ExportSubjectPublicKeyInfo();

        Assert.Throws<CryptographicException>(() => new DesiredStateVerifier("p256-0000000000000000", _signer.PublicKey, TestStore.OrgId, TestStore.DeviceId));
        Assert.Throws<CryptographicException>(() => new DesiredStateVerifier(DesiredStateSignature.KeyId(p384Key), p384Key, TestStore.OrgId, TestStore.DeviceId));
        Assert.Throws<CryptographicException>(() => DesiredStateSigner.FromPrivateKey(Convert.ToBase64String(p384.ExportPkcs8PrivateKey())));
        Assert.False(DesiredStateSigner.IsValidPrivateKey("not base64!"));
        Assert.False(DesiredStateSigner.IsValidPrivateKey(""));
        Assert.True(DesiredStateSigner.IsValidPrivateKey(DesiredStateSigner.NewPrivateKey()));
    }

    [Fact]
    public void A_signer_made_again_from_its_private_key_has_the_same_key_id()
    {
        var privateKey = DesiredStateSigner.NewPrivateKey();
        using var first = DesiredStateSigner.FromPrivateKey(privateKey);
        using var second = DesiredStateSigner.FromPrivateKey(privateKey);
        using var verifier = new DesiredStateVerifier(first.KeyId, first.PublicKey, TestStore.OrgId, TestStore.DeviceId);

        Assert.Equal(first.KeyId, second.KeyId);
        Assert.Null(verifier.Open(second.Sign(Desired())).Untrusted);
    }

    private static string NewKeyFor(out DesiredStateSigner signer)
    {
        var privateKey = DesiredStateSigner.NewPrivateKey();
        signer = DesiredStateSigner.FromPrivateKey(privateKey);
        return privateKey;
    }

    public void Dispose()
    {
        _verifier.Dispose();
        _signer.Dispose();
        _otherSigner.Dispose();
    }
}
