namespace FleetMfa.Agent.Store;

/// <summary>
/// An exclusive, cross-process lock on the store (a <c>flock</c> on Unix through <see cref="FileShare.None"/>), held
/// around every read-modify-write of the verification ledger and the audit queue so that concurrent
/// <c>verify</c> processes never lose an update.
/// </summary>
public sealed class StoreLock : IDisposable
{
    private readonly FileStream _stream;

    private StoreLock(FileStream stream) => _stream = stream;

    public static StoreLock Acquire(string path, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var delay = 1;
        while (true)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = AtomicFile.OwnerOnly;
                }

                return new StoreLock(new FileStream(path, options));
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                // Another process holds it; verify calls are short, so spin briefly.
                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 20);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
