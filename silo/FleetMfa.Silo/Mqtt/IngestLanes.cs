namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// How many messages of one device the bridge holds at once — waiting for a worker or being handed to the device's
/// grain — so that one device flooding its topics cannot take every worker and every place in the bridge's queue
/// while the others wait. A device's grain takes one message at a time anyway: more of them in the bridge would only
/// wait there. A message over the cap is acknowledged and dropped (and counted): a report or presence is sent again
/// with the device's next change or heartbeat, and an audit event stays queued on the device until its receipt.
/// </summary>
public sealed class IngestLanes(int perDevice)
{
    private readonly Dictionary<string, int> _held = new(StringComparer.Ordinal);

    public int PerDevice { get; } = perDevice > 0 ? perDevice : throw new ArgumentOutOfRangeException(nameof(perDevice), perDevice, "At least one message per device.");

    /// <summary>Devices with a message in the bridge now.</summary>
    public int Devices
    {
        get
        {
            lock (_held)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>Takes a place for a message of <paramref name="device"/>; false when the device has <see cref="PerDevice"/> already.</summary>
    public bool TryEnter(string device)
    {
        lock (_held)
        {
            var held = _held.GetValueOrDefault(device);
            if (held >= PerDevice)
            {
                return false;
            }

            _held[device] = held + 1;
            return true;
        }
    }

    /// <summary>Gives back the place of a message of <paramref name="device"/> that was handed over (or left for redelivery).</summary>
    public void Leave(string device)
    {
        lock (_held)
        {
            if (_held.TryGetValue(device, out var held))
            {
                if (held <= 1)
                {
                    _held.Remove(device);
                }
                else
                {
                    _held[device] = held - 1;
                }
            }
        }
    }
}
