namespace FleetMfa.Grains.Devices;

/// <summary>
/// Which devices of an index shard the org policy goes to next, without Orleans: a queue of devices behind the policy
/// and a window of those sent it and not yet acknowledged. The shard sends one-way and waits on no device, so the
/// window is its flow control: at most <paramref name="capacity"/> devices — each a storage write — are sent and
/// unacknowledged at a time (unbounded one-way sends over 100,000 devices queue past Orleans' 30 s timeouts), and a
/// device that has not acknowledged within <paramref name="ackTimeout"/> is sent again (a lost message, a failed
/// write). Nothing here is stored: the shard rebuilds the queue from its rows, which carry each device's policy version.
/// </summary>
internal sealed class PolicyFanOutWindow(int capacity, TimeSpan ackTimeout)
{
    private readonly Queue<string> _queue = new();
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Version, DateTimeOffset At)> _sent = new(StringComparer.Ordinal);

    /// <summary>Devices sent the policy that have not acknowledged it.</summary>
    public int Unacknowledged => _sent.Count;

    /// <summary>Nothing queued and nothing awaiting an acknowledgement.</summary>
    public bool IsIdle => _sent.Count == 0 && _queue.Count == 0;

    /// <summary>Queues a device that is behind; one queued or awaiting its acknowledgement already is left where it is.</summary>
    public void Enqueue(string deviceId)
    {
        if (!_sent.ContainsKey(deviceId) && _queued.Add(deviceId))
        {
            _queue.Enqueue(deviceId);
        }
    }

    /// <summary>Empties the queue (a newer policy: the shard queues whoever is behind it); devices awaiting an acknowledgement stay.</summary>
    public void ClearQueue()
    {
        _queue.Clear();
        _queued.Clear();
    }

    /// <summary>A device now holds <paramref name="version"/>: it frees its place when that covers what it was sent.</summary>
    public bool Acknowledge(string deviceId, long version)
    {
        if (_sent.TryGetValue(deviceId, out var sent) && version >= sent.Version)
        {
            _sent.Remove(deviceId);
            return true;
        }

        return false;
    }

    /// <summary>A device that is gone.</summary>
    public void Forget(string deviceId)
    {
        _sent.Remove(deviceId);
        _queued.Remove(deviceId);
    }

    /// <summary>
    /// The devices to send <paramref name="version"/> to now: first those whose acknowledgement is overdue
    /// (<paramref name="resent"/> of them), then queued ones while the window has room. <paramref name="isBehind"/>
    /// checks each again (a device may have caught up, turned MFA off or gone since it was queued).
    /// </summary>
    public IReadOnlyList<string> Take(long version, DateTimeOffset now, Func<string, bool> isBehind, out int resent)
    {
        ArgumentNullException.ThrowIfNull(isBehind);
        var send = new List<string>();
        foreach (var (deviceId, _) in _sent.Where(s => now - s.Value.At >= ackTimeout).ToList())
        {
            if (isBehind(deviceId))
            {
                _sent[deviceId] = (version, now);
                send.Add(deviceId);
            }
            else
            {
                _sent.Remove(deviceId);
            }
        }

        resent = send.Count;
        while (_sent.Count < capacity && _queue.TryDequeue(out var deviceId))
        {
            _queued.Remove(deviceId);
            if (isBehind(deviceId))
            {
                _sent[deviceId] = (version, now);
                send.Add(deviceId);
            }
        }

        return send;
    }
}
