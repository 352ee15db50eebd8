using Orleans.Storage;

namespace FleetMfa.Grains.Internal;

/// <summary>Writes for grains whose single activation owns its state outright: its memory is the truth.</summary>
internal static class OwnedStateWrites
{
    /// <summary>
    /// Writes the state; when storage answers that the ETag is stale — typically a write that timed out on our side
    /// but went through, or was retried by the storage client after it had — takes the stored ETag and writes the
    /// in-memory state once more, instead of failing this and every later write of the activation.
    /// </summary>
    public static async Task WriteOwnedStateAsync<TState>(this IPersistentState<TState> state)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch (InconsistentStateException)
        {
            var mine = state.State;
            await state.ReadStateAsync();
            state.State = mine;
            await state.WriteStateAsync();
        }
    }
}
