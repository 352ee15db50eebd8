using FleetMfa.Protocol.Sealing;

namespace FleetMfa.Protocol.Documents;

/// <summary>A user the device must prompt, with their secret sealed to the device's public key.</summary>
public sealed record DesiredUser(string UserId, string LocalUsername, int SecretVersion, SealedSecret Secret);
