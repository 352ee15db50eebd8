using System.Security.Cryptography;

namespace FleetMfa.Protocol.Signing;

/// <summary>
/// The signature scheme of desired states: ECDSA P-256 with SHA-256 over <see cref="Context"/> followed by the
/// document's exact bytes, the signature in IEEE P1363 form (<c>r‖s</c>, 64 bytes). The context keeps a signature made
/// for a desired state from ever passing for anything else the key might sign. A key is named by
/// <see cref="KeyId"/> of its public half.
/// </summary>
public static class DesiredStateSignature
{
    public const int SignatureSize = 64;

    /// <summary>The longest key id an agent reads.</summary>
    public const int MaxKeyIdLength = 64;

    /// <summary>What is signed before the document's bytes.</summary>
    public static ReadOnlySpan<byte> Context => "fleetmfa/desired-state/v1\n"u8;

    /// <summary>What is signed before a new key's SubjectPublicKeyInfo when the key it replaces endorses it (<see cref="Documents.KeyEndorsement"/>).</summary>
    public static ReadOnlySpan<byte> KeyContext => "fleetmfa/signing-key/v1\n"u8;

    /// <summary>What is signed before an audit receipt's bytes (<see cref="Documents.SignedAuditReceipt"/>).</summary>
    public static ReadOnlySpan<byte> ReceiptContext => "fleetmfa/audit-receipt/v1\n"u8;

    /// <summary><c>p256-</c> and the first 8 bytes of SHA-256 over the key's SubjectPublicKeyInfo, hex.</summary>
    public static string KeyId(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(subjectPublicKeyInfo, hash);
        return "p256-" + Convert.ToHexStringLower(hash[..8]);
    }

    /// <summary>Signs the desired state <paramref name="document"/> with <paramref name="key"/> (a P-256 private key).</summary>
    public static byte[] Sign(ECDsa key, ReadOnlySpan<byte> document) => Sign(key, Context, document);

    /// <summary>Whether <paramref name="signature"/> is <paramref name="key"/>'s over the desired state <paramref name="document"/>; false for any malformed signature.</summary>
    public static bool Verify(ECDsa key, ReadOnlySpan<byte> document, ReadOnlySpan<byte> signature) => Verify(key, Context, document, signature);

    /// <summary><paramref name="key"/> endorses <paramref name="newKey"/> (SubjectPublicKeyInfo) as its successor.</summary>
    public static byte[] SignKey(ECDsa key, ReadOnlySpan<byte> newKey) => Sign(key, KeyContext, newKey);

    /// <summary>Whether <paramref name="signature"/> is <paramref name="key"/>'s endorsement of <paramref name="newKey"/>; false for any malformed signature.</summary>
    public static bool VerifyKey(ECDsa key, ReadOnlySpan<byte> newKey, ReadOnlySpan<byte> signature) => Verify(key, KeyContext, newKey, signature);

    /// <summary>Signs <paramref name="data"/> in <paramref name="context"/> (<see cref="Context"/>, <see cref="KeyContext"/> or <see cref="ReceiptContext"/>).</summary>
    public static byte[] Sign(ECDsa key, ReadOnlySpan<byte> context, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.SignData(Signed(context, data), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>Whether <paramref name="signature"/> is <paramref name="key"/>'s over <paramref name="data"/> in <paramref name="context"/>; false for any malformed signature.</summary>
    public static bool Verify(ECDsa key, ReadOnlySpan<byte> context, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(key);
        return signature.Length == SignatureSize &&
            key.VerifyData(Signed(context, data), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>Imports a P-256 public key (SubjectPublicKeyInfo); throws <see cref="CryptographicException"/> for anything else.</summary>
    public static ECDsa ImportPublicKey(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out var read);
            if (read != subjectPublicKeyInfo.Length || key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                throw new CryptographicException("The desired-state key must be a P-256 public key.");
            }

            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static byte[] Signed(ReadOnlySpan<byte> context, ReadOnlySpan<byte> data)
    {
        var signed = new byte[context.Length + data.Length];
        context.CopyTo(signed);
        data.CopyTo(signed.AsSpan(context.Length));
        return signed;
    }
}
