using FleetMfa.Agent.Platform;

namespace FleetMfa.Agent.Daemon;

/// <summary>
/// When the daemon checks that the applied policy is still in force (<see cref="IPlatform.CheckPolicy"/>): at start,
/// every <see cref="Interval"/>, and a moment (<see cref="Settle"/>) after one of the files the platform names changes
/// (a directory: any file in it) — a package upgrade rewriting <c>/etc/pam.d/sshd</c>, a deleted drop-in — so drift
/// is repaired in seconds, not minutes. The file watchers only raise a flag; the check itself runs on the daemon's loop.
/// </summary>
public sealed class PolicyWatch : IDisposable
{
    /// <summary>Changes usually come in bursts (a package writes several files); one check after they settle.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time;
    private readonly List<FileSystemWatcher> _watchers = [];
    private DateTimeOffset? _lastCheck;
    private DateTimeOffset? _changedAt;
    private readonly Lock _lock = new();

    public PolicyWatch(TimeProvider time, TimeSpan interval, IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        _time = time;
        Interval = interval;
        foreach (var path in paths)
        {
            var (directory, filter) = Directory.Exists(path) ? (path, "*") : (Path.GetDirectoryName(path), Path.GetFileName(path));
            if (!Directory.Exists(directory))
            {
                continue;
            }

            var watcher = new FileSystemWatcher(directory, filter) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
            watcher.Changed += (_, _) => Changed();
            watcher.Created += (_, _) => Changed();
            watcher.Deleted += (_, _) => Changed();
            watcher.Renamed += (_, _) => Changed();
            watcher.Error += (_, _) => Changed();
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    public TimeSpan Interval { get; }

    /// <summary>A change was seen that no check has covered yet.</summary>
    public bool ChangePending
    {
        get
        {
            lock (_lock)
            {
                return _changedAt is not null;
            }
        }
    }

    /// <summary>Whether a check is due now: never checked yet, the interval has passed, or a change has settled.</summary>
    public bool IsDue()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            return _lastCheck is not { } last || now - last >= Interval || (_changedAt is { } changed && now - changed >= Settle);
        }
    }

    /// <summary>A check ran: the next is due after the interval, or after the next change.</summary>
    public void Checked()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            _lastCheck = now;
            if (_changedAt is { } changed && now - changed >= Settle)
            {
                _changedAt = null;
            }
        }
    }

    /// <summary>Something changed in a watched directory (also called by tests and the file watchers).</summary>
    public void Changed()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            _changedAt = now;
        }
    }

    public void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }
    }
}
