namespace FleetMfa.Protocol.Documents;

/// <summary>Facts the agent observes on its device.</summary>
public sealed record DeviceReport(
    string Hostname,
    string Os,
    string OsVersion,
    bool? SshServerInstalled,
    IReadOnlyList<string> AuthPlugins,
    int? DisplayHeightPixels,
    string AgentVersion,
    long? ClockOffsetMilliseconds);
