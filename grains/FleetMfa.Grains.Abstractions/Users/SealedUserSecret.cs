namespace FleetMfa.Grains;

/// <summary>A user's TOTP secret sealed to one device's key (see the protocol's <c>SecretSealer</c>).</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.SealedUserSecret")]
public sealed record SealedUserSecret(
    [property: Id(0)] int SecretVersion,
    [property: Id(1)] byte[] EphemeralKey,
    [property: Id(2)] byte[] Nonce,
    [property: Id(3)] byte[] Ciphertext);
