namespace FleetMfa.Agent.Store;

/// <summary>What identifies one version of a file that is only ever replaced by rename: its size and modification time.</summary>
public readonly record struct FileStamp(long Length, DateTime LastWriteTimeUtc)
{
    /// <summary>The file's stamp, or <c>null</c> when it does not exist.</summary>
    public static FileStamp? Of(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : null;
    }
}
