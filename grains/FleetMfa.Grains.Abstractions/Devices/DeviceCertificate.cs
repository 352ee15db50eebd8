namespace FleetMfa.Grains;

/// <summary>
/// A client certificate the FleetMfa CA issued to a device for MQTT over TLS: its serial number (hex, as
/// <c>X509Certificate2.SerialNumber</c> prints it), the device's key in it (SubjectPublicKeyInfo; a renewal must be for
/// the same key) and its expiry. The certificate itself is the agent's; the grain keeps what decides whether to trust it.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.DeviceCertificate")]
public sealed record DeviceCertificate(
    [property: Id(0)] string Serial,
    [property: Id(1)] byte[] PublicKey,
    [property: Id(2)] DateTimeOffset NotAfter)
{
    /// <summary>Whether this names the certificate whose serial is <paramref name="serial"/> (hex, any case).</summary>
    public bool Is(string? serial) => string.Equals(Serial, serial, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="publicKey"/> is this certificate's key.</summary>
    public bool HasKey(ReadOnlySpan<byte> publicKey) => PublicKey.AsSpan().SequenceEqual(publicKey);
}
