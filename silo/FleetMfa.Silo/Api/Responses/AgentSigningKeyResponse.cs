namespace FleetMfa.Silo.Api.Responses;

/// <summary>The public half of the key that signs the device's desired states (SubjectPublicKeyInfo, base64), and its id: the agent pins both.</summary>
public sealed record AgentSigningKeyResponse(string KeyId, string PublicKey);
