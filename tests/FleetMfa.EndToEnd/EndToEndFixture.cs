using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>
/// One Azurite and one shared silo for the whole collection. Tests that need their own silo (restart, clock, start-up
/// failures) start it with <see cref="NewSiloSettings"/> against the same storage.
/// </summary>
public sealed class EndToEndFixture : IAsyncLifetime
{
    public TestWorkspace Workspace { get; private set; } = null!;

    public AzuriteInstance Storage { get; private set; } = null!;

    /// <summary>The silo the API tests share; its admin key was generated into its data dir.</summary>
    public SiloProcess Silo { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Workspace = TestWorkspace.Create();
        Storage = await AzuriteInstance.StartAsync(Workspace);
        Silo = await SiloProcess.StartAsync(NewSiloSettings("shared"));
    }

    /// <summary>Settings for a new silo on the shared storage with a data dir of its own.</summary>
    public SiloSettings NewSiloSettings(string name) =>
        new(name, Storage.ConnectionString, Workspace.NewDirectory($"data-{name}"), Workspace.Root);

    public async Task DisposeAsync()
    {
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
