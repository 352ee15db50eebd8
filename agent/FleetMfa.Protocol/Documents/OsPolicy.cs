namespace FleetMfa.Protocol.Documents;

/// <summary>OS-specific policy; each agent applies the part for its own OS.</summary>
public sealed record OsPolicy(LinuxPolicy Linux, WindowsPolicy Windows, MacPolicy Macos);
