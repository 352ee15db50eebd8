namespace FleetMfa.Protocol.Documents;

/// <summary>A user the device prompts, with the secret version it holds.</summary>
public sealed record ReportedUser(string UserId, int SecretVersion);
