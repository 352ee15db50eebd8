using Orleans.Serialization;
using Orleans.Storage;

namespace FleetMfa.Grains.Internal;

/// <summary>
/// Decide, then store, for a grain whose calls interleave (<see cref="StateUpdates"/> is the form for one call at a
/// time). Decisions are made one after another, each in one synchronous step, on a working copy of the state; a snapshot
/// of it is written, one write at a time, and the decisions made while a write is in flight share the next one (group
/// commit). A decision's caller returns once a write holding it — and everything decided before it — is stored, and
/// <see cref="Stored"/> is what storage holds: nothing is served or carried out for a decision that is not stored.
/// <para>
/// A write that fails throws to the callers whose decisions it held and puts the working copy back to what is stored;
/// the decisions made meanwhile are made again on it. A write refused for a stale ETag reads the stored state and makes
/// the write's decisions again on it: when none of them changes anything, storage holds them already (the write went
/// through and its answer was lost, or the storage client retried it after it had landed) and the write is done;
/// otherwise it is a real conflict, and the decisions are written again on the stored state (a few times, then the
/// write fails). Decisions must therefore be idempotent: made on a state that holds them, they change nothing.
/// </para>
/// <para>
/// <see cref="Close"/> ends it with the grain's activation: work the activation started (an effect's continuation) may
/// still come back after Orleans deactivated it, while a new activation of the same grain already writes the same row.
/// A closed instance takes no decision and starts no write, so the two never fight over the row.
/// </para>
/// </summary>
/// <param name="state">The grain's state; its <c>State</c> is only ever a stored or an in-flight snapshot.</param>
/// <param name="copier">Copies the state (the working copy, and each snapshot).</param>
/// <param name="stored">Called after each successful write (the grain carries out what the write stored).</param>
internal sealed class BatchedUpdates<TState>(IPersistentState<TState> state, DeepCopier<TState> copier, Action stored)
    where TState : class
{
    private const int MaxAttempts = 3;

    /// <summary>Decisions made since the write in flight started, in order: the next write stores them.</summary>
    private readonly List<Func<TState, bool>> _pending = [];

    private TState? _working;
    private TState? _storedWhileWriting;
    private TaskCompletionSource? _next;
    private TaskCompletionSource? _writing;
    private bool _closed;

    /// <summary>The state as storage holds it.</summary>
    public TState Stored => _storedWhileWriting ?? state.State;

    /// <summary>Whether <see cref="Close"/> was called: the activation is over.</summary>
    public bool IsClosed => _closed;

    /// <summary>
    /// Makes <paramref name="decide"/> on the working copy (it returns whether it changed anything) and returns once
    /// that is stored; a decision that changed nothing returns once what it was decided on is stored.
    /// </summary>
    public Task DecideAsync(Func<TState, bool> decide)
    {
        ArgumentNullException.ThrowIfNull(decide);
        if (_closed)
        {
            return Task.FromException(Closed());
        }

        _working ??= copier.Copy(Stored);
        if (!decide(_working))
        {
            return (_next ?? _writing)?.Task ?? Task.CompletedTask;
        }

        _pending.Add(decide);
        var batch = _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_writing is null)
        {
            // The loop may finish the write before it returns (a storage call that fails at once): the caller still
            // gets its own batch's outcome.
            _ = WriteLoopAsync();
        }

        return batch.Task;
    }

    /// <summary>
    /// Takes no further decision and starts no further write: decisions not written yet fail; a write in flight still
    /// answers its callers, but <c>stored</c> is not called for it (the next activation carries out what it stored).
    /// </summary>
    public void Close()
    {
        _closed = true;
        if (_writing is null && _next is { } unwritten)
        {
            _next = null;
            _pending.Clear();
            unwritten.SetException(Closed());
        }
    }

    private static ObjectDisposedException Closed() =>
        new(nameof(BatchedUpdates<TState>), "The grain's activation has ended; the decision was not stored.");

    private async Task WriteLoopAsync()
    {
        while (!_closed && _next is { } batch)
        {
            var decisions = _pending.ToArray();
            _pending.Clear();
            (_next, _writing) = (null, batch);
            try
            {
                await WriteAsync(decisions);
            }
            catch (Exception ex)
            {
                DecideAgainOnStored();
                batch.SetException(ex);
                continue;
            }

            if (!_closed)
            {
                stored();
            }

            batch.SetResult();
        }

        _writing = null;
        if (_next is { } unwritten)
        {
            _next = null;
            _pending.Clear();
            unwritten.SetException(Closed());
        }
    }

    /// <summary>After a failed write: the working copy goes back to what is stored, and what was decided meanwhile is decided again on it.</summary>
    private void DecideAgainOnStored()
    {
        _working = copier.Copy(Stored);
        var still = new List<Func<TState, bool>>();
        foreach (var decide in _pending)
        {
            if (decide(_working))
            {
                still.Add(decide);
            }
        }

        _pending.Clear();
        _pending.AddRange(still);
        if (_pending.Count == 0 && _next is { } nothingLeft)
        {
            _next = null;
            nothingLeft.SetResult();
        }
    }

    private async Task WriteAsync(Func<TState, bool>[] decisions)
    {
        for (var attempt = 1; ; attempt++)
        {
            _storedWhileWriting = state.State;
            state.State = copier.Copy(_working!);
            try
            {
                await state.WriteStateAsync();
                _storedWhileWriting = null;
                return;
            }
            catch (InconsistentStateException) when (attempt < MaxAttempts && !_closed)
            {
                (state.State, _storedWhileWriting) = (_storedWhileWriting!, null);
                await state.ReadStateAsync();
                _working = copier.Copy(state.State);
                var changed = false;
                foreach (var decide in decisions)
                {
                    changed |= decide(_working);
                }

                foreach (var decide in _pending)
                {
                    decide(_working);
                }

                if (!changed)
                {
                    // Storage holds every decision of this write already: it went through and the answer was lost, or the
                    // storage client retried it after it had landed (a slow store). Writing it again would only meet the
                    // same answer, write after write.
                    return;
                }
            }
            catch
            {
                (state.State, _storedWhileWriting) = (_storedWhileWriting!, null);
                throw;
            }
        }
    }
}
