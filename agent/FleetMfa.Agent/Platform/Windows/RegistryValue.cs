namespace FleetMfa.Agent.Platform.Windows;

/// <summary>A DWORD under <c>HKEY_LOCAL_MACHINE\<see cref="Key"/></c>.</summary>
public sealed record RegistryValue(string Key, string Name)
{
    public override string ToString() => $@"HKLM\{Key}\{Name}";
}
