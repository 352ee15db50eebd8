using Orleans.Storage;

namespace FleetMfa.Grains.Internal;

/// <summary>A grain's state as stored, read without activating the grain (one storage read).</summary>
internal static class StoredState
{
    /// <summary>The stored <typeparamref name="TState"/> of <paramref name="grain"/>, or null when nothing is stored.</summary>
    public static async Task<TState?> ReadAsync<TState>(IGrainStorage storage, string stateName, GrainId grain)
        where TState : class, new()
    {
        ArgumentNullException.ThrowIfNull(storage);
        var state = new GrainState<TState>(new TState());
        await storage.ReadStateAsync(stateName, grain, state);
        return state.RecordExists ? state.State : null;
    }
}
