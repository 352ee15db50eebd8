namespace FleetMfa.Grains;

[GenerateSerializer, Immutable, Alias("fleetmfa.DeviceSettings")]
public sealed record DeviceSettings(
    [property: Id(0)] LinuxSettings Linux,
    [property: Id(1)] WindowsSettings Windows)
{
    public static DeviceSettings Default { get; } = new(LinuxSettings.Default, WindowsSettings.Default);
}
