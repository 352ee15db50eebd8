namespace FleetMfa.Grains.Internal;

/// <summary>
/// Group commit for a grain whose methods interleave: every caller of <see cref="WriteAsync"/> returns once a write
/// that started after its change has completed, and changes that arrive while a write is in flight share the next
/// one. There is never more than one <paramref name="write"/> outstanding, so interleaved turns cannot race on a
/// storage ETag. For grain state, <see cref="OwnedStateWrites.CoalescedWrites{TState}"/> makes one.
/// </summary>
/// <param name="write">Writes everything changed so far.</param>
internal sealed class GroupCommit(Func<Task> write)
{
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
                await write();
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
