namespace FleetMfa.Grains.Twin;

/// <summary>
/// Publishes a device's desired-state document, retained at QoS 1, on its <c>desired</c> topic. The host provides it
/// (the MQTT bridge); grains only know this seam.
/// </summary>
public interface IDesiredStatePublisher
{
    Task PublishDesiredAsync(string orgId, string deviceId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);
}
