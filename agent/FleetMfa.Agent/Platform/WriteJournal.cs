namespace FleetMfa.Agent.Platform;

/// <summary>
/// The files one policy change wrote, with what each held before, so that a change that fails half-way can be undone
/// in reverse order: a file the change backed up for the first time is restored from that backup (and the backup
/// dropped, leaving no trace); a file it rewrote gets its previous bytes back (or is deleted if it had none).
/// </summary>
public sealed class WriteJournal(ManagedFiles files)
{
    private readonly List<(string Path, byte[]? Previous, bool HadBackup)> _written = [];

    /// <summary><see cref="ManagedFiles.Write"/>, remembered for <see cref="RollBack"/>. True when it wrote.</summary>
    public bool Write(string path, byte[] content)
    {
        var previous = ManagedFiles.ReadOrNull(path);
        var hadBackup = files.HasBackup(path);
        if (!files.Write(path, content))
        {
            return false;
        }

        _written.Add((path, previous, hadBackup));
        return true;
    }

    /// <summary>Undoes every write, newest first; returns the paths put back.</summary>
    public IReadOnlyList<string> RollBack()
    {
        var restored = new List<string>();
        for (var i = _written.Count - 1; i >= 0; i--)
        {
            var (path, previous, hadBackup) = _written[i];
            if (!hadBackup)
            {
                files.Restore(path);
            }
            else if (previous is null)
            {
                File.Delete(path);
            }
            else
            {
                ManagedFiles.Replace(path, previous);
            }

            _written.RemoveAt(i);
            restored.Add(path);
        }

        return restored;
    }
}
