using FleetMfa.Grains.Revocation;
using FleetMfa.Grains.Twin;

namespace FleetMfa.Silo.Mqtt;

public static class MqttHostingExtensions
{
    /// <summary>The MQTT side: the embedded broker (unless an external one is configured) and the bridge that publishes desired states and ingests reports.</summary>
    public static WebApplicationBuilder AddFleetMqtt(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<MqttOptions>()
            .BindConfiguration(MqttOptions.SectionName)
            .Validate(o => o.IsValidBroker, "FLEETMFA_BROKER must be 'embedded', mqtts://host:port or mqtt://host:port.")
            .Validate(o => o.BridgeSessionExpiry >= TimeSpan.Zero && o.BridgeSessionExpiry.TotalSeconds <= uint.MaxValue, "FleetMfa:Mqtt:BridgeSessionExpiry must be a non-negative time span.")
            .Validate(o => o.IngestConcurrency >= 1 && o.IngestWindow >= o.IngestConcurrency && o.IngestWindow <= ushort.MaxValue, "FleetMfa:Mqtt:IngestConcurrency must be at least 1 and FleetMfa:Mqtt:IngestWindow between it and 65535.")
            .Validate(o => o.PlaintextPort is >= 0 and <= 65535 && (o.PlaintextPort == 0 || o.PlaintextPort != o.Port), "FLEETMFA_MQTT_PLAINTEXT_PORT must be 0 (none) or a port (1-65535) other than FLEETMFA_MQTT_PORT.")
            .Validate(o => o.IngestPerDevice >= 1, "FleetMfa:Mqtt:IngestPerDevice must be at least 1.")
            .Validate(o => double.IsFinite(o.DevicePublishRate) && o.DevicePublishRate > 0 && o.DevicePublishBurst >= 1, "FleetMfa:Mqtt:DevicePublishRate must be above 0 and FleetMfa:Mqtt:DevicePublishBurst at least 1.")
            .Validate(o => o.DeviceMessageBytes >= 64 * 1024 && o.QueuedPerClient >= 1_000, "FleetMfa:Mqtt:DeviceMessageBytes must be at least 65536 and FleetMfa:Mqtt:QueuedPerClient at least 1000.")
            .Validate(o => o.IsEmbedded || !string.IsNullOrEmpty(o.BridgeUsername), "An external broker needs the bridge's account: FLEETMFA_BROKER_USERNAME (and, on plain mqtt://, FLEETMFA_BROKER_PASSWORD).")
            .Validate(o => !o.IsExternalTls || !o.BridgeUsername!.Contains('/', StringComparison.Ordinal), "FLEETMFA_BROKER_USERNAME must not contain '/': that would name a device.")
            .Validate(o => !o.IsEmbedded || string.IsNullOrEmpty(o.BridgePassword) || o.BridgePassword.Length >= 32, "FLEETMFA_BROKER_PASSWORD for the embedded broker's bridge account must be at least 32 characters.")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => new BridgeCredentials(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<MqttOptions>>().Value));

        var embedded = builder.Configuration.GetSection(MqttOptions.SectionName).Get<MqttOptions>()?.IsEmbedded ?? true;
        builder.Services.AddSingleton<KnownDevices>();
        if (embedded)
        {
            builder.Services.AddSingleton<BrokerMetrics>();
            builder.Services.AddSingleton<BrokerServerCertificate>();
            builder.Services.AddSingleton<BridgeCertificate>();
            builder.Services.AddSingleton<EmbeddedBroker>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());
            builder.Services.AddSingleton<IBrokerAccounts, EmbeddedBrokerAccounts>();
        }
        else
        {
            var tls = builder.Configuration.GetSection(MqttOptions.SectionName).Get<MqttOptions>()?.IsExternalTls ?? false;
            var mosquitto = builder.Services.AddOptions<MosquittoOptions>()
                .BindConfiguration(MosquittoOptions.SectionName)
                .Validate(o => o.Reload == MosquittoReload.External || !string.IsNullOrEmpty(o.PidFile), "An external Mosquitto needs FLEETMFA_MOSQUITTO_PID_FILE (the broker's pid_file), or FLEETMFA_MOSQUITTO_RELOAD=external when a watcher next to the broker reloads it.");
            if (tls)
            {
                mosquitto
                    .Validate(o => !string.IsNullOrEmpty(o.CrlFile) && !string.IsNullOrEmpty(o.RevokedFile), "Mosquitto over TLS (mqtts://) needs FLEETMFA_MOSQUITTO_CRL_FILE and FLEETMFA_MOSQUITTO_REVOKED_FILE: its crlfile and the fleetmfa_limits plugin's revoked_file, which the silo keeps.")
                    .Validate(o => o.CrlDays is >= 1 and <= 90, "FleetMfa:Mosquitto:CrlDays must be between 1 and 90.");
                builder.Services.AddSingleton<BridgeCertificate>();
                builder.Services.AddSingleton<IBrokerAccounts, MosquittoCertificateAccounts>();
                builder.Services.AddSingleton<IRevocationListPublisher, MosquittoRevocationFiles>();
                builder.Services.AddHostedService<RevocationListStartup>();
            }
            else
            {
                mosquitto.Validate(o => !string.IsNullOrEmpty(o.PasswordFile), "Mosquitto on plain MQTT (mqtt://) needs FLEETMFA_MOSQUITTO_PASSWORD_FILE, the broker's password_file (or use mqtts:// and device certificates).");
                builder.Services.AddSingleton<IBrokerAccounts, MosquittoPasswordFile>();
            }

            mosquitto.ValidateOnStart();
        }

        builder.Services.AddSingleton<IngestMetrics>();
        builder.Services.AddSingleton<MqttBridge>();
        builder.Services.AddSingleton<IDesiredStatePublisher>(sp => sp.GetRequiredService<MqttBridge>());
        builder.Services.AddSingleton<IDeviceAccessRevoker, DeviceAccessRevoker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MqttBridge>());
        return builder;
    }
}
