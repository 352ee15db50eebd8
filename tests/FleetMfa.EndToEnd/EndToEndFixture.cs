using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Storage;

namespace FleetMfa.EndToEnd;

/// <summary>
/// One Azurite and one shared silo (with its embedded broker) for the whole collection, plus a shared silo on a
/// Mosquitto of its own, started when a test first asks for it. Tests that need their own silo (restart, clock,
/// start-up failures, stopping the control plane) start it with <see cref="NewSiloSettings"/> against the same storage.
/// </summary>
public sealed class EndToEndFixture : IAsyncLifetime
{
    private readonly Lock _gate = new();
    private Task<ControlPlane>? _mosquitto;

    public TestWorkspace Workspace { get; private set; } = null!;

    public AzuriteServer Storage { get; private set; } = null!;

    /// <summary>The silo the API tests share; its admin key was generated into its data dir.</summary>
    public SiloProcess Silo { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Workspace = TestWorkspace.Create();
        Storage = await AzuriteServer.SharedOrStartAsync(Workspace.NewDirectory("azurite"));
        Silo = await SiloProcess.StartAsync(NewSiloSettings("shared"));
    }

    /// <summary>Settings for a new silo on the shared storage with a data dir of its own.</summary>
    public SiloSettings NewSiloSettings(string name) =>
        new(name, Storage.ConnectionString, Workspace.NewDirectory($"data-{name}"), Workspace.Root);

    /// <summary>The shared control plane on <paramref name="kind"/>; owned by the fixture (tests must not stop it).</summary>
    public Task<ControlPlane> SharedControlPlaneAsync(BrokerKind kind)
    {
        if (kind == BrokerKind.Embedded)
        {
            return Task.FromResult(new ControlPlane(Silo, mosquitto: null));
        }

        lock (_gate)
        {
            return _mosquitto ??= ControlPlane.StartAsync(BrokerKind.Mosquitto, NewSiloSettings("shared-mosquitto"), Workspace);
        }
    }

    public async Task DisposeAsync()
    {
        if (_mosquitto is { IsCompletedSuccessfully: true })
        {
            await (await _mosquitto).DisposeAsync();
        }

        if (Silo is not null)
        {
            await Silo.DisposeAsync();
        }

        if (Storage is not null)
        {
            await Storage.DisposeAsync();
        }

        Workspace?.Dispose();
    }
}
