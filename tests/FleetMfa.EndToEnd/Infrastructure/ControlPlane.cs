namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>A silo and the broker its agents talk to: its embedded one, or a Mosquitto of its own.</summary>
public sealed class ControlPlane : IAsyncDisposable
{
    public ControlPlane(SiloProcess silo, MosquittoBroker? mosquitto)
    {
        Silo = silo;
        Mosquitto = mosquitto;
    }

    public SiloProcess Silo { get; }

    /// <summary>The external broker, or null when the silo's embedded broker serves the agents.</summary>
    public MosquittoBroker? Mosquitto { get; }

    public BrokerKind Kind => Mosquitto is null ? BrokerKind.Embedded : BrokerKind.Mosquitto;

    /// <summary>Where agents (and test clients) reach the broker on 127.0.0.1.</summary>
    public int MqttPort => Mosquitto?.Port ?? Silo.MqttPlaintextPort;

    public ApiClient Admin => Silo.Admin;

    /// <summary>
    /// An account that may write every device's desired topic: Mosquitto's writer (a plane started with
    /// <c>writer: true</c>), or on the embedded broker the bridge's own account with <paramref name="bridgePassword"/>
    /// (given the silo as <c>FLEETMFA_BROKER_PASSWORD</c>) on its plain listener: a leaked bridge password.
    /// </summary>
    public BrokerCredential Writer(string bridgePassword) =>
        Mosquitto is { } mosquitto
            ? mosquitto.Writer ?? throw new InvalidOperationException("This Mosquitto was started without a writer account.")
            : new BrokerCredential("$fleetmfa-bridge", Silo.MqttPlaintextPort, bridgePassword, null);

    /// <summary>
    /// Starts a silo with <paramref name="settings"/> and, for <see cref="BrokerKind.Mosquitto"/>, a Mosquitto of its own
    /// first, with a <paramref name="writer"/> account on the desired topics when asked.
    /// </summary>
    public static async Task<ControlPlane> StartAsync(BrokerKind kind, SiloSettings settings, TestWorkspace workspace, bool writer = false)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (kind == BrokerKind.Embedded)
        {
            return new ControlPlane(await SiloProcess.StartAsync(settings), mosquitto: null);
        }

        var mosquitto = await MosquittoBroker.StartAsync(workspace, settings.Name, writer: writer);
        try
        {
            return new ControlPlane(await SiloProcess.StartAsync(settings.WithMosquitto(mosquitto)), mosquitto);
        }
        catch
        {
            await mosquitto.DisposeAsync();
            throw;
        }
    }

    /// <summary>The silo first (its bridge says goodbye to the broker), then the broker.</summary>
    public async ValueTask DisposeAsync()
    {
        await Silo.DisposeAsync();
        if (Mosquitto is not null)
        {
            await Mosquitto.DisposeAsync();
        }
    }
}
