namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>The two brokers the control plane must work with unchanged (DESIGN §4).</summary>
public enum BrokerKind
{
    /// <summary>The MQTTnet broker inside the silo (<c>FLEETMFA_BROKER=embedded</c>, the default).</summary>
    Embedded,

    /// <summary>Debian's Mosquitto with the password file and pattern ACL of deploy/mosquitto/.</summary>
    Mosquitto,
}
