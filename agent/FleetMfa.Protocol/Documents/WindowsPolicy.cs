namespace FleetMfa.Protocol.Documents;

/// <summary>Registry policies under <c>HKLM\Software\Microsoft\Windows\CurrentVersion\Policies\System</c>.</summary>
public sealed record WindowsPolicy(bool DisableAutomaticRestartSignOn, bool SafeModeBlockNonAdmins);
