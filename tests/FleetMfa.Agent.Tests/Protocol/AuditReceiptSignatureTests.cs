using System.Text;
using System.Text.Json;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;
using FleetMfa.Protocol.Signing;

namespace FleetMfa.Agent.Tests.Protocol;

/// <summary>
/// An audit receipt drops login records from a device's queue, so it is trusted only as a desired state is: signed by
/// the pinned key (or a key it endorsed), in its own signing context, for this org and device
/// (<see cref="DesiredStateVerifier.OpenReceipt"/>). Anything else is no receipt and drops nothing.
/// </summary>
public sealed class AuditReceiptSignatureTests : IDisposable
{
    private readonly string _privateKey = DesiredStateSigner.NewPrivateKey();
    private readonly DesiredStateSigner _signer;
    private readonly DesiredStateSigner _stranger = DesiredStateSigner.FromPrivateKey(DesiredStateSigner.NewPrivateKey());
    private readonly DesiredStateVerifier _verifier;

    public AuditReceiptSignatureTests()
    {
        _signer = DesiredStateSigner.FromPrivateKey(_privateKey);
        _verifier = new DesiredStateVerifier(_signer.KeyId, _signer.PublicKey, TestStore.OrgId, TestStore.DeviceId);
    }

    private static AuditReceipt Receipt(params string[] ids) => new(AuditReceipt.CurrentSchema, TestStore.OrgId, TestStore.DeviceId, ids);

    private static SignedAuditReceipt Envelope(byte[] message) => JsonSerializer.Deserialize(message, ProtocolJsonContext.Default.SignedAuditReceipt)!;

    private static byte[] Message(SignedAuditReceipt envelope) => JsonSerializer.SerializeToUtf8Bytes(envelope, ProtocolJsonContext.Default.SignedAuditReceipt);

    [Fact]
    public void A_receipt_signed_with_the_pinned_key_for_this_device_is_trusted()
    {
        Assert.Equal(["e1", "e2"], _verifier.OpenReceipt(_signer.SignReceipt(Receipt("e1", "e2")))!.Stored);
    }

    [Fact]
    public void A_receipt_signed_with_another_key_or_tampered_is_no_receipt()
    {
        var envelope = Envelope(_signer.SignReceipt(Receipt("e1")));
        var tampered = (byte[])envelope.Payload.Clone();
        tampered[^3] ^= 0x01;

        Assert.Null(_verifier.OpenReceipt(_stranger.SignReceipt(Receipt("e1"))));
        Assert.Null(_verifier.OpenReceipt(Message(Envelope(_stranger.SignReceipt(Receipt("e1"))) with { Kid = _signer.KeyId })));
        Assert.Null(_verifier.OpenReceipt(Message(envelope with { Payload = tampered })));
        Assert.Null(_verifier.OpenReceipt(Message(envelope with { Sig = envelope.Sig[..^1] })));
    }

    [Fact]
    public void A_receipt_for_another_device_or_org_is_no_receipt()
    {
        Assert.Null(_verifier.OpenReceipt(_signer.SignReceipt(Receipt("e1") with { DeviceId = "dev-2" })));
        Assert.Null(_verifier.OpenReceipt(_signer.SignReceipt(Receipt("e1") with { OrgId = "other-org" })));
    }

    [Fact]
    public void A_signed_desired_state_is_not_a_receipt_and_a_receipt_is_not_a_desired_state()
    {
        // The same key signs both, each in its own context: bytes signed as one never verify as the other.
        var receiptBytes = JsonSerializer.SerializeToUtf8Bytes(Receipt("e1"), ProtocolJsonContext.Default.AuditReceipt);
        var asDesired = Envelope(_signer.SignReceipt(Receipt("e1")));
        var desiredMessage = JsonSerializer.SerializeToUtf8Bytes(new SignedDesiredState(asDesired.Payload, asDesired.Sig, asDesired.Kid), ProtocolJsonContext.Default.SignedDesiredState);

        Assert.Equal(receiptBytes, asDesired.Payload);
        Assert.Equal(UntrustedReasons.BadSignature, _verifier.Open(desiredMessage).Untrusted);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("null")]
    [InlineData("""{"schema":1,"stored":["e1"]}""")]
    [InlineData("""{"payload":"AA==","sig":"AA==","kid":"k","extra":1}""")]
    public void Anything_but_a_signed_receipt_is_no_receipt(string message)
    {
        Assert.Null(_verifier.OpenReceipt(Encoding.UTF8.GetBytes(message)));
    }

    [Fact]
    public void A_receipt_of_an_old_schema_naming_too_many_events_or_too_large_is_no_receipt()
    {
        Assert.Null(_verifier.OpenReceipt(_signer.SignReceipt(Receipt("e1") with { Schema = 1 })));
        Assert.Null(_verifier.OpenReceipt(_signer.SignReceipt(Receipt([.. Enumerable.Range(0, AuditEventBatch.MaxEvents + 1).Select(i => $"e{i}")]))));
        Assert.Null(_verifier.OpenReceipt(new byte[SignedAuditReceipt.MaxBytes + 1]));
        using var unpinned = new DesiredStateVerifier(null, null, TestStore.OrgId, TestStore.DeviceId);
        Assert.Null(unpinned.OpenReceipt(_signer.SignReceipt(Receipt("e1"))));
    }

    [Fact]
    public void During_a_rotation_a_receipt_signed_with_the_endorsed_key_is_trusted()
    {
        using var rotating = DesiredStateSigner.FromPrivateKey(DesiredStateSigner.NewPrivateKey(), previousBase64Pkcs8: _privateKey);

        Assert.Equal(["e1"], _verifier.OpenReceipt(rotating.SignReceipt(Receipt("e1")))!.Stored);
    }

    public void Dispose()
    {
        _verifier.Dispose();
        _signer.Dispose();
        _stranger.Dispose();
    }
}
