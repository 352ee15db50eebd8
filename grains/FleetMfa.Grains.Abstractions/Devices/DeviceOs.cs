namespace FleetMfa.Grains;

public enum DeviceOs
{
    Linux,
    Macos,
    Windows,
}
