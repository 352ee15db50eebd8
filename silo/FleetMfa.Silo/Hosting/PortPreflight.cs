using System.Net;
using System.Net.Sockets;
using FleetMfa.Silo.Mqtt;
using FleetMfa.Silo.Tls;

namespace FleetMfa.Silo.Hosting;

/// <summary>
/// Checks every port the silo will listen on before anything starts, so a taken port is one clear line naming the
/// variable to change — not a stack trace from whichever listener happened to start first.
/// </summary>
public static class PortPreflight
{
    public static (int Port, string Variable)? FindBusyPort(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var cluster = configuration.GetSection(FleetClusterOptions.SectionName).Get<FleetClusterOptions>() ?? new FleetClusterOptions();
        var mqtt = configuration.GetSection(MqttOptions.SectionName).Get<MqttOptions>() ?? new MqttOptions();
        var candidates = new List<(IPAddress Address, int Port, string Variable)>();
        foreach (var url in (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri))
            {
                var address = IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? ip : IPAddress.Loopback;
                candidates.Add((address, uri.Port, "FLEETMFA_HTTP_PORT"));
            }
        }

        if (mqtt.IsEmbedded && IPAddress.TryParse(mqtt.BindAddress, out var mqttAddress))
        {
            candidates.Add((mqttAddress, mqtt.Port, "FLEETMFA_MQTT_PORT"));
            if (mqtt.PlaintextPort > 0)
            {
                candidates.Add((mqttAddress, mqtt.PlaintextPort, "FLEETMFA_MQTT_PLAINTEXT_PORT"));
            }
        }

        var agent = configuration.GetSection(AgentTlsOptions.SectionName).Get<AgentTlsOptions>() ?? new AgentTlsOptions();
        if (IPAddress.TryParse(agent.BindAddress, out var agentAddress))
        {
            candidates.Add((agentAddress, agent.Port, "FLEETMFA_AGENT_HTTPS_PORT"));
        }

        candidates.Add((IPAddress.Loopback, cluster.SiloPort, "FLEETMFA_SILO_PORT"));
        candidates.Add((IPAddress.Loopback, cluster.GatewayPort, "FLEETMFA_GATEWAY_PORT"));
        foreach (var (address, port, variable) in candidates)
        {
            if (!CanBind(address, port))
            {
                return (port, variable);
            }
        }

        return null;
    }

    private static bool CanBind(IPAddress address, int port)
    {
        try
        {
            var listener = new TcpListener(address, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            return false;
        }
    }
}
