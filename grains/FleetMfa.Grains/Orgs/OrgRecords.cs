using FleetMfa.Grains.Internal;
using Orleans.Storage;

namespace FleetMfa.Grains.Orgs;

/// <summary>Reads about an org from storage without activating its grain.</summary>
public static class OrgRecords
{
    /// <summary>Whether the org grain <paramref name="org"/> has stored a created org (one storage read; no activation).</summary>
    public static async Task<bool> IsCreatedAsync(IGrainStorage storage, GrainId org) =>
        await StoredState.ReadAsync<OrgState>(storage, OrgGrain.StateName, org) is { Created: true };
}
