namespace FleetMfa.Agent.Store;

/// <summary>
/// One daemon per data directory: <c>run</c> holds an exclusive lock on <c>daemon.lock</c> (a <c>flock</c> on Unix
/// through <see cref="FileShare.None"/>) for as long as it runs; the kernel drops it when the process ends, however it
/// ends. Two daemons on one store would take each other's MQTT session (same client id) over and over, and the first
/// to stop would remove the other's verify socket.
/// </summary>
public sealed class DaemonLock : IDisposable
{
    public const string FileName = "daemon.lock";

    // What .NET puts in the IOException when the file is locked: flock's errno EWOULDBLOCK (Linux 11, macOS 35) on
    // Unix, ERROR_SHARING_VIOLATION on Windows.
    private const int LinuxWouldBlock = 11;
    private const int MacWouldBlock = 35;
    private const int SharingViolation = unchecked((int)0x80070020);

    private readonly FileStream _stream;

    private DaemonLock(FileStream stream) => _stream = stream;

    /// <summary>The lock, or <c>null</c> when another process holds it.</summary>
    public static DaemonLock? TryAcquire(string dataDirectory)
    {
        var options = AtomicFile.CreateOptions(FileMode.OpenOrCreate);
        try
        {
            return new DaemonLock(new FileStream(Path.Combine(dataDirectory, FileName), options));
        }
        catch (IOException ex) when (ex.HResult == (OperatingSystem.IsWindows() ? SharingViolation : OperatingSystem.IsMacOS() ? MacWouldBlock : LinuxWouldBlock))
        {
            return null;
        }
    }

    public void Dispose() => _stream.Dispose();
}
