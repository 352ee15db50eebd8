namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>One MQTT message as a <see cref="MqttProbe"/> received it.</summary>
public sealed record ReceivedMessage(string Topic, byte[] Payload, bool Retain);
