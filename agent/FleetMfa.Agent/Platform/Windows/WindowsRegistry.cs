using System.Runtime.Versioning;
using Microsoft.Win32;

namespace FleetMfa.Agent.Platform.Windows;

/// <summary>The real registry (64-bit view of HKLM). Compiled everywhere, run only on Windows.</summary>
[SupportedOSPlatform("windows")]
public sealed class WindowsRegistry : IPolicyRegistry
{
    public int? Read(RegistryValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        using var hklm = RegistryKey.OpenBaseKey(RegistryHive.LocalMachine, RegistryView.Registry64);
        using var key = hklm.OpenSubKey(value.Key);
        return key?.GetValue(value.Name) is int data ? data : null;
    }

    public void Write(RegistryValue value, int? data)
    {
        ArgumentNullException.ThrowIfNull(value);
        using var hklm = RegistryKey.OpenBaseKey(RegistryHive.LocalMachine, RegistryView.Registry64);
        if (data is { } dword)
        {
            using var key = hklm.CreateSubKey(value.Key, writable: true);
            key.SetValue(value.Name, dword, RegistryValueKind.DWord);
        }
        else
        {
            using var key = hklm.OpenSubKey(value.Key, writable: true);
            key?.DeleteValue(value.Name, throwOnMissingValue: false);
        }
    }
}
