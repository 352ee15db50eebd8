namespace FleetMfa.Grains.Devices;

/// <summary>
/// What one device grain activation published, and when: whether the current version is on the broker already, how long
/// ago the latest publish went out (a report or a rollout that is behind asks again only after a while), and the ack
/// latency of a version — from its first publish, counted once; re-publishes of a version do not restart it. Not stored:
/// a new activation starts with nothing published.
/// </summary>
public sealed class PublishHistory
{
    private (long Version, DateTimeOffset At) _first = (-1, DateTimeOffset.MinValue);
    private long _measured = -1;

    /// <summary>The version of the latest publish; -1 before the first.</summary>
    public long LastVersion { get; private set; } = -1;

    /// <summary>When the latest publish completed.</summary>
    public DateTimeOffset LastAt { get; private set; } = DateTimeOffset.MinValue;

    /// <summary><paramref name="version"/> went out: started at <paramref name="startedAt"/>, confirmed by the broker at <paramref name="doneAt"/>.</summary>
    public void Published(long version, DateTimeOffset startedAt, DateTimeOffset doneAt)
    {
        if (version != _first.Version)
        {
            _first = (version, startedAt);
        }

        (LastVersion, LastAt) = (version, doneAt);
    }

    /// <summary>
    /// The agent applied <paramref name="appliedVersion"/>: the latency to record, from the first publish of the latest
    /// version published here, once per version; null when this activation did not publish what was applied.
    /// </summary>
    public TimeSpan? Acked(long appliedVersion, DateTimeOffset now)
    {
        if (_first.Version < 0 || appliedVersion < _first.Version || _measured >= _first.Version)
        {
            return null;
        }

        _measured = _first.Version;
        return now - _first.At;
    }
}
