using Orleans.Serialization;
using Orleans.Storage;

namespace FleetMfa.Grains.Internal;

/// <summary>
/// Decide, then store: a decision is made on a copy of the grain's state, and the copy replaces the state only once
/// it is stored. A write that fails leaves the state in memory exactly as it is in storage (the copy is dropped), so
/// nothing unstored is ever served, published or remembered, and a retry of the same request does the work again. A
/// write refused for a stale ETag — another activation wrote, or the storage client retried a write that had gone
/// through — is a real conflict: the stored state is read and the decision made again on it, never overwritten blind.
/// </summary>
internal static class StateUpdates
{
    private const int MaxAttempts = 3;

    /// <summary>
    /// Runs <paramref name="decide"/> on a copy of the state; when it returns a decision (not null), stores the copy
    /// and returns the decision once stored. Null: nothing to store.
    /// </summary>
    /// <param name="state">The grain's state.</param>
    /// <param name="copier">Copies it for the decision.</param>
    /// <param name="decide">Changes the copy; null when there is nothing to store.</param>
    /// <param name="beforeWrite">
    /// Runs after a decision, before its write, on the state about to be stored: what must exist should the write succeed
    /// and the silo crash right after (a reminder that carries the stored change on).
    /// </param>
    public static async Task<TDecision?> UpdateAsync<TState, TDecision>(
        this IPersistentState<TState> state, DeepCopier<TState> copier, Func<TState, TDecision?> decide, Func<TState, Task>? beforeWrite = null)
        where TDecision : class
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(copier);
        ArgumentNullException.ThrowIfNull(decide);
        for (var attempt = 1; ; attempt++)
        {
            var next = copier.Copy(state.State)!;
            if (decide(next) is not { } decision)
            {
                return null;
            }

            if (beforeWrite is not null)
            {
                await beforeWrite(next);
            }

            var stored = state.State;
            state.State = next;
            try
            {
                await state.WriteStateAsync();
                return decision;
            }
            catch (InconsistentStateException) when (attempt < MaxAttempts)
            {
                state.State = stored;
                await state.ReadStateAsync();
            }
            catch
            {
                state.State = stored;
                throw;
            }
        }
    }

    /// <summary>
    /// For a grain that changes its state in place before writing: writes it, and when the write fails puts the state
    /// back as stored (a read) before the failure goes on — or, when storage cannot even say what it holds,
    /// deactivates the grain, so that no later call is served from a state that was never stored.
    /// </summary>
    public static async Task WriteOrRestoreAsync<TState>(this IPersistentState<TState> state, IGrainBase grain)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(grain);
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            try
            {
                await state.ReadStateAsync();
            }
            catch (Exception readFailure) when (readFailure is not OperationCanceledException)
            {
                grain.DeactivateOnIdle();
            }

            throw;
        }
    }
}
