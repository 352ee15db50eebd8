using Orleans.Storage;

namespace FleetMfa.Grains.Internal;

/// <summary>Writes for grains whose single activation owns its state outright: its memory is the truth.</summary>
internal static class OwnedStateWrites
{
    /// <summary>Group-committed <see cref="WriteOwnedStateAsync{TState}"/> writes of <paramref name="state"/>.</summary>
    public static GroupCommit CoalescedWrites<TState>(this IPersistentState<TState> state) =>
        new(() => state.WriteOwnedStateAsync());

    /// <summary>
    /// Writes the state; when storage answers that the ETag is stale — typically a write that timed out on our side
    /// but went through, or was retried by the storage client after it had — takes the stored ETag and writes the
    /// in-memory state once more, instead of failing this and every later write of the activation.
    /// </summary>
    /// <param name="state">The state to write.</param>
    /// <param name="merge">
    /// For a state that another writer may have changed too: given this activation's state and the stored one (now
    /// <paramref name="state"/>'s), brings this activation's changes into the stored one, which is then written.
    /// Without it the in-memory state is written as it is.
    /// </param>
    public static async Task WriteOwnedStateAsync<TState>(this IPersistentState<TState> state, Action<TState, TState>? merge = null)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch (InconsistentStateException)
        {
            var mine = state.State;
            await state.ReadStateAsync();
            if (merge is null)
            {
                state.State = mine;
            }
            else
            {
                merge(mine, state.State);
            }

            await state.WriteStateAsync();
        }
    }
}
