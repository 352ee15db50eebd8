using System.Security.Cryptography;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>A device's P-256 public key (SubjectPublicKeyInfo), for tests that need one that parses.</summary>
internal static class TestKeys
{
    public static byte[] PublicKey { get; } = NewPublicKey();

    private static byte[] NewPublicKey()
    {
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportSubjectPublicKeyInfo();
    }
}
