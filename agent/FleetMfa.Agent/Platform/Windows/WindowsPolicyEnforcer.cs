using System.Globalization;
using System.Text;
using FleetMfa.Agent.Store;

namespace FleetMfa.Agent.Platform.Windows;

/// <summary>
/// Runs <see cref="WindowsPolicyPlan"/> against a registry; the originals live in <c>BACKUP/windows-policies.orig</c>
/// (<c>HKLM\key\name=value</c> or <c>=absent</c> per line), written before the first change.
/// </summary>
public sealed class WindowsPolicyEnforcer(IPolicyRegistry registry, string backupDirectory)
{
    private string BackupFile => Path.Combine(backupDirectory, "windows-policies.orig");

    public PolicyResult Apply(PolicyRequest request)
    {
        var current = WindowsPolicyPlan.Managed.ToDictionary(v => v, registry.Read);
        var (changes, originals) = WindowsPolicyPlan.Decide(request, current, LoadOriginals());
        if (changes.Count == 0)
        {
            return PolicyResult.Unchanged;
        }

        // The originals first: a crash between the two leaves a record of what to put back, never a lost original.
        SaveOriginals(originals);
        foreach (var change in changes)
        {
            registry.Write(change.Target, change.Value);
        }

        return new PolicyResult(changes.Select(c => c.Value is { } v ? $"set {c.Target}={v}" : $"deleted {c.Target}").ToList());
    }

    private Dictionary<RegistryValue, int?> LoadOriginals()
    {
        var originals = new Dictionary<RegistryValue, int?>();
        if (AtomicFile.ReadOrNull(BackupFile) is not { } content)
        {
            return originals;
        }

        foreach (var line in Encoding.UTF8.GetString(content).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var (path, data) = (line[..line.LastIndexOf('=')], line[(line.LastIndexOf('=') + 1)..]);
            if (WindowsPolicyPlan.Managed.FirstOrDefault(v => v.ToString() == path) is { } value)
            {
                originals[value] = data == "absent" ? null : int.Parse(data, CultureInfo.InvariantCulture);
            }
        }

        return originals;
    }

    private void SaveOriginals(IReadOnlyDictionary<RegistryValue, int?> originals)
    {
        if (originals.Count == 0)
        {
            File.Delete(BackupFile);
            return;
        }

        Directory.CreateDirectory(backupDirectory);
        var text = string.Concat(originals.Select(o => $"{o.Key}={(o.Value is { } v ? v.ToString(CultureInfo.InvariantCulture) : "absent")}\n"));
        AtomicFile.Write(BackupFile, Encoding.UTF8.GetBytes(text));
    }
}
