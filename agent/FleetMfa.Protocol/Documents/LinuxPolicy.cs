namespace FleetMfa.Protocol.Documents;

/// <summary>SSH: password login → password then TOTP; public-key auth → key then TOTP. Never both while MFA is on.</summary>
public sealed record LinuxPolicy(bool SshPasswordLogin, bool SshPublicKeyAuth);
