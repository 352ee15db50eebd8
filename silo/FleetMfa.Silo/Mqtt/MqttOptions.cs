using FleetMfa.Protocol;

namespace FleetMfa.Silo.Mqtt;

/// <summary>MQTT: the embedded broker or an external one, and what agents are told at enrollment (section <c>FleetMfa:Mqtt</c>).</summary>
public sealed class MqttOptions
{
    public const string SectionName = "FleetMfa:Mqtt";
    public const string Embedded = "embedded";

    /// <summary>
    /// <c>embedded</c> (an MQTTnet broker inside the silo), or an external broker: <c>mqtts://host:port</c> (TLS, where
    /// devices and the bridge log in with certificates the FleetMfa CA issued; default port 8883) or, for development,
    /// <c>mqtt://host:port</c> (plain, with passwords; default port 1883).
    /// </summary>
    public string Broker { get; set; } = Embedded;

    /// <summary>
    /// Port of the embedded broker (<c>FLEETMFA_MQTT_PORT</c>, default 8883), bound to <see cref="BindAddress"/>: TLS
    /// only, where a device connects with the client certificate the FleetMfa CA issued it and no password, and the
    /// silo's bridge with one the CA issues it in memory; the broker presents the agent endpoint's certificate (the
    /// same CA, the same names).
    /// </summary>
    public int Port { get; set; } = 8883;

    /// <summary>
    /// Development only (<c>FLEETMFA_MQTT_PLAINTEXT_PORT</c>; default 0: none): a plain-TCP listener of the embedded
    /// broker beside the TLS one, where devices enrolled without a signing request log in with their passwords (and
    /// the bridge's password is taken). Nothing is sent there unless it exists.
    /// </summary>
    public int PlaintextPort { get; set; }

    /// <summary>Address the embedded broker listens on.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>Host agents connect to; defaults to the embedded broker's address or the external broker's host.</summary>
    public string? AdvertisedHost { get; set; }

    /// <summary>Port agents connect to on an external broker (default: the broker's), or, with a password, the embedded broker's <see cref="PlaintextPort"/>.</summary>
    public int? AdvertisedPort { get; set; }

    /// <summary>Whether agents of a plain external broker (<c>mqtt://</c>) are told to use TLS (a TLS proxy in front of it); <c>mqtts://</c> always is.</summary>
    public bool AdvertisedUseTls { get; set; }

    public string TopicPrefix { get; set; } = Topics.DefaultPrefix;

    /// <summary>
    /// The bridge's account on an external broker (it needs control-plane rights there): over TLS the CN of the
    /// certificate the silo's CA issues it in memory, on plain MQTT a username with <see cref="BridgePassword"/>.
    /// </summary>
    public string? BridgeUsername { get; set; }

    public string? BridgePassword { get; set; }

    /// <summary>How many reports the bridge hands to grains at once.</summary>
    public int IngestConcurrency { get; set; } = 128;

    /// <summary>
    /// How many messages the broker may hand the bridge before the bridge acknowledged them (its MQTT 5 Receive
    /// Maximum, 1–65,535, at least <see cref="IngestConcurrency"/>). The bridge acknowledges a message once a grain
    /// took it; the broker keeps the rest of a burst in the bridge's session.
    /// </summary>
    public int IngestWindow { get; set; } = 1024;

    /// <summary>
    /// How many messages of one device the bridge holds at once (<see cref="IngestLanes"/>); more are dropped and
    /// counted. An agent sends a few at a time (presence, a report, an audit batch); a device that floods its topics
    /// gets this much of the bridge and no more.
    /// </summary>
    public int IngestPerDevice { get; set; } = 8;

    /// <summary>
    /// How many messages a second one device may publish on the embedded broker, after a burst of
    /// <see cref="DevicePublishBurst"/>; the broker drops the rest (<c>fleetmfa_broker_dropped_total{reason="rate"}</c>).
    /// An agent sends a few messages per change or heartbeat. (Mosquitto: the fleetmfa_limits plugin, deploy/mosquitto.)
    /// </summary>
    public double DevicePublishRate { get; set; } = 10;

    /// <summary>How many messages one device may publish at once before <see cref="DevicePublishRate"/> applies.</summary>
    public int DevicePublishBurst { get; set; } = 50;

    /// <summary>
    /// The largest payload a device may publish on the embedded broker; a device that sends a larger one is
    /// disconnected and the message dropped (<c>reason="size"</c>). Twice the largest an agent has reason to send (an
    /// audit batch of 256 KiB), as Mosquitto's <c>max_packet_size</c> in deploy/mosquitto.
    /// </summary>
    public int DeviceMessageBytes { get; set; } = 512 * 1024;

    /// <summary>
    /// How many messages the embedded broker queues for one client; newer ones are dropped when it is full, as
    /// Mosquitto's <c>max_queued_messages</c> does. The bridge's session is the one that fills (it receives every
    /// device's reports while a silo restarts); a device's holds its retained desired state and a few receipts.
    /// </summary>
    public int QueuedPerClient { get; set; } = 200_000;

    /// <summary>
    /// How long the broker keeps the bridge's session after the bridge disconnects, queueing the reports and login
    /// events agents send meanwhile: a silo that restarts or reconnects within it loses none of them (with a clean
    /// session every message sent while the bridge was away was dropped, login events for good). A silo gone for good
    /// holds its share of a shared subscription's messages that long (agents report again within 5 minutes and
    /// rollouts ask again): the 300-agent failover test took 2 min 23 s at 1 minute, 3 min 44 s at 2 minutes.
    /// </summary>
    public TimeSpan BridgeSessionExpiry { get; set; } = TimeSpan.FromMinutes(1);

    public bool IsEmbedded => string.Equals(Broker, Embedded, StringComparison.OrdinalIgnoreCase);

    /// <summary>The broker the bridge connects to.</summary>
    public (string Host, int Port) BrokerEndpoint()
    {
        if (IsEmbedded)
        {
            return (BindAddress is "0.0.0.0" or "::" ? "127.0.0.1" : BindAddress, Port);
        }

        return TryParseExternalBroker(out var uri)
            ? (uri.Host, uri.IsDefaultPort || uri.Port <= 0 ? (IsExternalTls ? 8883 : 1883) : uri.Port)
            : throw new InvalidOperationException($"FLEETMFA_BROKER must be 'embedded', mqtts://host:port or mqtt://host:port, not '{Broker}'.");
    }

    /// <summary>Whether <see cref="Broker"/> is usable: <c>embedded</c>, or an <c>mqtts://</c> or <c>mqtt://host[:port]</c> URL.</summary>
    public bool IsValidBroker => IsEmbedded || TryParseExternalBroker(out _);

    /// <summary>An external broker over TLS (<c>mqtts://</c>): devices and the bridge log in with certificates.</summary>
    public bool IsExternalTls => TryParseExternalBroker(out var uri) && uri.Scheme == "mqtts";

    private bool TryParseExternalBroker(out Uri uri) =>
        Uri.TryCreate(Broker, UriKind.Absolute, out uri!) && uri.Scheme is "mqtt" or "mqtts" && !string.IsNullOrEmpty(uri.Host);

    /// <summary>Whether devices connect with client certificates: the embedded broker and an external one over TLS.</summary>
    public bool UsesDeviceCertificates => IsEmbedded || IsExternalTls;

    /// <summary>
    /// Where an agent is told to connect, and whether over TLS: the embedded broker's TLS port when it was issued a
    /// client certificate (<paramref name="withCertificate"/>); else — an agent that sent no signing request — its plain
    /// port if there is one (null when there is none: such an agent has nowhere to log in). An external broker over TLS
    /// takes certificates only (null without one); a plain one, passwords.
    /// </summary>
    public (string Host, int Port, bool UseTls)? AgentEndpoint(bool withCertificate)
    {
        var (host, port) = BrokerEndpoint();
        if (IsExternalTls)
        {
            return withCertificate ? (AdvertisedHost ?? host, AdvertisedPort ?? port, true) : null;
        }

        if (!IsEmbedded)
        {
            return (AdvertisedHost ?? host, AdvertisedPort ?? port, AdvertisedUseTls);
        }

        return withCertificate ? (AdvertisedHost ?? host, Port, true)
            : PlaintextPort > 0 ? (AdvertisedHost ?? host, AdvertisedPort ?? PlaintextPort, false)
            : null;
    }
}
