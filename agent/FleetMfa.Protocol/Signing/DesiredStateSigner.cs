using System.Security.Cryptography;
using System.Text.Json;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Protocol.Signing;

/// <summary>
/// The control plane's side: holds the P-256 signing key (its private half never leaves this object, nor the host's
/// data directory or configuration it came from) and turns a <see cref="DesiredState"/> into the signed message that is
/// published (<see cref="SignedDesiredState"/>, JSON).
/// </summary>
public sealed class DesiredStateSigner : IDisposable
{
    private readonly ECDsa _key;
    private readonly KeyEndorsement? _endorsement;

    private DesiredStateSigner(ECDsa key, ECDsa? previous)
    {
        _key = key;
        PublicKey = key.ExportSubjectPublicKeyInfo();
        KeyId = DesiredStateSignature.KeyId(PublicKey);
        if (previous is not null)
        {
            var previousKey = previous.ExportSubjectPublicKeyInfo();
            _endorsement = new KeyEndorsement(PublicKey, DesiredStateSignature.SignKey(previous, PublicKey), DesiredStateSignature.KeyId(previousKey));
        }
    }

    /// <summary>The id of the key this one replaces, while a rotation is under way (every message carries its endorsement).</summary>
    public string? PreviousKeyId => _endorsement?.Kid;

    /// <summary>The public half (SubjectPublicKeyInfo): what agents pin at enrollment.</summary>
    public byte[] PublicKey { get; }

    public string KeyId { get; }

    /// <summary>A new P-256 private key, PKCS#8 in base64: what <c>signing.key</c> and <c>FLEETMFA_SIGNING_KEY</c> hold.</summary>
    public static string NewPrivateKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pkcs8 = key.ExportPkcs8PrivateKey();
        try
        {
            return Convert.ToBase64String(pkcs8);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>
    /// The signer of a P-256 private key given as base64 PKCS#8; with <paramref name="previousBase64Pkcs8"/>, the key it
    /// replaces, every message also carries the previous key's endorsement of this one, so agents that pinned the previous
    /// key move to this one. Throws <see cref="CryptographicException"/> for anything but P-256 private keys.
    /// </summary>
    public static DesiredStateSigner FromPrivateKey(string base64Pkcs8, string? previousBase64Pkcs8 = null)
    {
        var key = ImportPrivateKey(base64Pkcs8);
        if (string.IsNullOrWhiteSpace(previousBase64Pkcs8))
        {
            return new DesiredStateSigner(key, null);
        }

        try
        {
            using var previous = ImportPrivateKey(previousBase64Pkcs8);
            return new DesiredStateSigner(key, previous);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static ECDsa ImportPrivateKey(string base64Pkcs8)
    {
        byte[] pkcs8;
        try
        {
            pkcs8 = Convert.FromBase64String(base64Pkcs8?.Trim() ?? "");
        }
        catch (FormatException)
        {
            throw new CryptographicException("The desired-state signing key must be base64 (PKCS#8).");
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(pkcs8, out var read);
            if (read != pkcs8.Length || key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                throw new CryptographicException("The desired-state signing key must be a P-256 private key.");
            }

            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>Whether <paramref name="base64Pkcs8"/> is a P-256 private key this signer can use.</summary>
    public static bool IsValidPrivateKey(string? base64Pkcs8)
    {
        try
        {
            FromPrivateKey(base64Pkcs8 ?? "").Dispose();
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>The message to publish for <paramref name="desired"/>: its JSON bytes, signed, in a <see cref="SignedDesiredState"/>.</summary>
    public byte[] Sign(DesiredState desired)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var document = JsonSerializer.SerializeToUtf8Bytes(desired, ProtocolJsonContext.Default.DesiredState);
        return JsonSerializer.SerializeToUtf8Bytes(
            new SignedDesiredState(document, DesiredStateSignature.Sign(_key, document), KeyId, _endorsement),
            ProtocolJsonContext.Default.SignedDesiredState);
    }

    /// <summary>The message to publish for <paramref name="receipt"/>: its JSON bytes, signed in the receipt context, in a <see cref="SignedAuditReceipt"/>.</summary>
    public byte[] SignReceipt(AuditReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        var document = JsonSerializer.SerializeToUtf8Bytes(receipt, ProtocolJsonContext.Default.AuditReceipt);
        return JsonSerializer.SerializeToUtf8Bytes(
            new SignedAuditReceipt(document, DesiredStateSignature.Sign(_key, DesiredStateSignature.ReceiptContext, document), KeyId, _endorsement),
            ProtocolJsonContext.Default.SignedAuditReceipt);
    }

    public void Dispose() => _key.Dispose();
}
