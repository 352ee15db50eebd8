namespace FleetMfa.Agent.Enrollment;

/// <summary>The control plane's desired-state key: its id and SubjectPublicKeyInfo in base64.</summary>
public sealed record EnrollSigningKey(string KeyId, string PublicKey);
