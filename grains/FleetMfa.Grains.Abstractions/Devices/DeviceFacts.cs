namespace FleetMfa.Grains;

/// <summary>What is known about a device's software: reported by its agent, or imported at pre-registration.</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.DeviceFacts")]
public sealed record DeviceFacts(
    [property: Id(0)] bool? SshServerInstalled,
    [property: Id(1)] IReadOnlyList<string> AuthPlugins,
    [property: Id(2)] int? DisplayHeightPixels,
    [property: Id(3)] string? AgentVersion)
{
    public static DeviceFacts Unknown { get; } = new(null, [], null, null);
}
