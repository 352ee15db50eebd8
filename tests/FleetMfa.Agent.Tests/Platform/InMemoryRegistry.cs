using FleetMfa.Agent.Platform.Windows;

namespace FleetMfa.Agent.Tests.Platform;

/// <summary>HKLM in a dictionary: the unit-test stand-in for <see cref="WindowsRegistry"/>.</summary>
public sealed class InMemoryRegistry : IPolicyRegistry
{
    public Dictionary<RegistryValue, int> Values { get; } = [];

    public int Writes { get; private set; }

    public int? Read(RegistryValue value) => Values.TryGetValue(value, out var data) ? data : null;

    public void Write(RegistryValue value, int? data)
    {
        Writes++;
        if (data is { } dword)
        {
            Values[value] = dword;
        }
        else
        {
            Values.Remove(value);
        }
    }
}
