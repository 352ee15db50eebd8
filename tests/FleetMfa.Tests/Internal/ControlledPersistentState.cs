namespace FleetMfa.Tests.Internal;

/// <summary>
/// An <see cref="IPersistentState{TState}"/> whose writes finish when the test says so: each
/// <see cref="WriteStateAsync()"/> starts a write that stays in flight until <see cref="Complete"/> or
/// <see cref="Fail"/>.
/// </summary>
public sealed class ControlledPersistentState<TState> : IPersistentState<TState>
    where TState : new()
{
    private readonly List<TaskCompletionSource> _writes = [];
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
    private readonly Lock _lock = new();

    public TState State { get; set; } = new();

    public string? Etag { get; set; }

    public bool RecordExists { get; set; }

    /// <summary>How many writes have started.</summary>
    public int WritesStarted
    {
        get
        {
            lock (_lock)
            {
                return _writes.Count;
            }
        }
    }

    /// <summary>How many writes are in flight right now.</summary>
    public int WritesInFlight
    {
        get
        {
            lock (_lock)
            {
                return _writes.Count(w => !w.Task.IsCompleted);
            }
        }
    }

    public Task WriteStateAsync()
    {
        var write = new TaskCompletionSource();
        List<TaskCompletionSource> reached;
        lock (_lock)
        {
            _writes.Add(write);
            reached = [.. _waiters.Where(w => w.Count <= _writes.Count).Select(w => w.Reached)];
            _waiters.RemoveAll(w => w.Count <= _writes.Count);
        }

        foreach (var waiter in reached)
        {
            waiter.TrySetResult();
        }

        return write.Task;
    }

    /// <summary>Completes when the <paramref name="count"/>-th write has started (continuations may run asynchronously).</summary>
    public Task WhenWritesStartedAsync(int count)
    {
        lock (_lock)
        {
            if (_writes.Count >= count)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
            return reached.Task;
        }
    }

    /// <summary>Finishes the <paramref name="index"/>-th write (0-based) successfully.</summary>
    public void Complete(int index) => Write(index).SetResult();

    /// <summary>Fails the <paramref name="index"/>-th write (0-based), as storage does on an ETag conflict or outage.</summary>
    public void Fail(int index, Exception error) => Write(index).SetException(error);

    /// <summary>How many reads have happened; a read replaces <see cref="State"/> with a fresh object, as storage would.</summary>
    public int Reads { get; private set; }

    public Task ReadStateAsync()
    {
        Reads++;
        State = new();
        return Task.CompletedTask;
    }

    public Task ClearStateAsync() => Task.CompletedTask;

    private TaskCompletionSource Write(int index)
    {
        lock (_lock)
        {
            return _writes[index];
        }
    }
}
