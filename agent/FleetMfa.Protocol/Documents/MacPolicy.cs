namespace FleetMfa.Protocol.Documents;

/// <summary>macOS: only the login window prompts (not FileVault, screen saver or lock screen).</summary>
public sealed record MacPolicy(bool LoginWindowOnly);
