using FleetMfa.Protocol.Documents;

namespace FleetMfa.Grains.Twin;

/// <summary>
/// Publishes a device's desired state, retained at QoS 1, on the <c>desired</c> topic of the org and device the document
/// names, signed with the control plane's key. The host provides it (the MQTT bridge, the only writer of desired
/// topics); grains only know this seam, and hand it a document, never bytes: nothing unsigned can be published.
/// </summary>
public interface IDesiredStatePublisher
{
    Task PublishDesiredAsync(DesiredState desired, CancellationToken cancellationToken);
}
