namespace FleetMfa.Agent.Platform.Windows;

/// <summary>The DWORD values the agent manages under <c>HKEY_LOCAL_MACHINE</c>; the seam between the decision logic and the registry.</summary>
public interface IPolicyRegistry
{
    /// <summary>The value, or <c>null</c> when it (or its key) does not exist.</summary>
    int? Read(RegistryValue value);

    /// <summary>Sets the DWORD (creating the key), or deletes the value when <paramref name="data"/> is <c>null</c>.</summary>
    void Write(RegistryValue value, int? data);
}
