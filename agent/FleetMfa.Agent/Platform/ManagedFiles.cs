using FleetMfa.Agent.Store;

namespace FleetMfa.Agent.Platform;

/// <summary>
/// System files the agent rewrites, each backed up before its first change: <c>BACKUP/&lt;path with / as %&gt;.orig</c>
/// holds the original bytes, or <c>….absent</c> marks that there was no file. <see cref="Restore"/> puts the original
/// back and drops the backup, so apply → restore leaves the machine byte-for-byte as it was. Writes are atomic (temp
/// file beside the target, renamed over it) and keep the original's mode.
/// </summary>
public sealed class ManagedFiles(string backupDirectory)
{
    public string BackupDirectory { get; } = backupDirectory;

    /// <summary>The bytes the file had before the agent first changed it: the backup if there is one, else the file now (<c>null</c>: no file).</summary>
    public byte[]? Original(string path) =>
        File.Exists(BackupPath(path, Absent)) ? null : ReadOrNull(BackupPath(path, Orig)) ?? ReadOrNull(path);

    public bool HasBackup(string path) => File.Exists(BackupPath(path, Orig)) || File.Exists(BackupPath(path, Absent));

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> unless it is already there; backs up the original first. True when it wrote.</summary>
    public bool Write(string path, byte[] content)
    {
        var current = ReadOrNull(path);
        if (current is not null && current.AsSpan().SequenceEqual(content))
        {
            return false;
        }

        string? newBackup = null;
        if (!HasBackup(path))
        {
            EnsureBackupDirectory();
            newBackup = BackupPath(path, current is null ? Absent : Orig);
            AtomicFile.Write(newBackup, current ?? []);
        }

        try
        {
            Replace(path, content);
        }
        catch when (newBackup is not null)
        {
            // The file is as it was: a backup of it would say the agent changed it.
            File.Delete(newBackup);
            throw;
        }

        return true;
    }

    /// <summary>Puts the original back (or deletes the file when there was none) and drops the backup. True when the file changed.</summary>
    public bool Restore(string path)
    {
        var absent = BackupPath(path, Absent);
        var orig = BackupPath(path, Orig);
        var changed = false;
        if (File.Exists(absent))
        {
            if (File.Exists(path))
            {
                File.Delete(path);
                changed = true;
            }

            File.Delete(absent);
        }
        else if (ReadOrNull(orig) is { } original)
        {
            var current = ReadOrNull(path);
            if (current is null || !current.AsSpan().SequenceEqual(original))
            {
                Replace(path, original);
                changed = true;
            }

            File.Delete(orig);
        }

        return changed;
    }

    /// <summary>
    /// Takes the file as it is now as its new original (a package upgrade replaced a file the agent manages): the
    /// next <see cref="Restore"/> puts this content back, not the one from before the upgrade.
    /// </summary>
    public void ReplaceOriginal(string path, byte[] original)
    {
        EnsureBackupDirectory();
        AtomicFile.Write(BackupPath(path, Orig), original);
        File.Delete(BackupPath(path, Absent));
    }

    /// <summary>Every path the agent holds a backup for (the file names encode the path: <c>/</c> as <c>%</c>).</summary>
    public IReadOnlyList<string> BackedUpPaths()
    {
        if (!Directory.Exists(BackupDirectory))
        {
            return [];
        }

        return Directory.EnumerateFiles(BackupDirectory)
            .Select(Path.GetFileName)
            .Select(name => name!.EndsWith(Orig, StringComparison.Ordinal) ? name[..^Orig.Length]
                : name.EndsWith(Absent, StringComparison.Ordinal) ? name[..^Absent.Length] : null)
            .Where(name => name is { Length: > 0 } && name[0] == '%')
            .Select(name => name!.Replace('%', Path.DirectorySeparatorChar))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Replaces the file atomically, keeping the mode of the file it replaces (0644 for a new one: these are system config files).</summary>
    public static void Replace(string path, byte[] content)
    {
        var mode = File.Exists(path) && !OperatingSystem.IsWindows()
            ? File.GetUnixFileMode(path)
            : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.fleetmfa.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temp, AtomicFile.CreateOptions(FileMode.Create)))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, mode);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>The file's bytes, or <c>null</c> when it (or its directory) does not exist.</summary>
    public static byte[]? ReadOrNull(string path) => File.Exists(path) ? File.ReadAllBytes(path) : null;

    private const string Orig = ".orig";
    private const string Absent = ".absent";

    private string BackupPath(string path, string suffix) =>
        Path.Combine(BackupDirectory, Path.GetFullPath(path).Replace(Path.DirectorySeparatorChar, '%') + suffix);

    private void EnsureBackupDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(BackupDirectory);
        }
        else
        {
            Directory.CreateDirectory(BackupDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
