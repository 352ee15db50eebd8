namespace FleetMfa.Grains.Internal;

/// <summary>
/// Group commit for a grain whose methods interleave: every caller of <see cref="WriteAsync"/> returns once a write
/// that started after its change has completed, and changes that arrive while a write is in flight share the next
/// one. There is never more than one <c>WriteStateAsync</c> outstanding, so
/// interleaved turns cannot race on the storage ETag.
/// </summary>
/// <param name="state">The state to write.</param>
/// <param name="write">How to write it; <see cref="OwnedStateWrites.WriteOwnedStateAsync{TState}"/> unless given.</param>
internal sealed class CoalescingStateWriter<TState>(IPersistentState<TState> state, Func<Task>? write = null)
{
    private readonly Func<Task> _write = write ?? (() => state.WriteOwnedStateAsync());

    private Task? _writing;
    private bool _dirty;

    public Task WriteAsync()
    {
        _dirty = true;
        if (_writing is null || _writing.IsCompleted)
        {
            _writing = WriteLoopAsync();
        }

        return _writing;
    }

    private async Task WriteLoopAsync()
    {
        while (_dirty)
        {
            _dirty = false;
            try
            {
                await _write();
            }
            catch
            {
                // The change is still in memory: the next writer retries it.
                _dirty = true;
                throw;
            }
        }
    }
}
