using FleetMfa.Grains.Internal;
using FleetMfa.Grains.Rollouts;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace FleetMfa.Tests.Internal;

/// <summary>
/// <see cref="BatchedUpdates{TState}"/>: a decision's caller returns only once it is stored, what is served is what is
/// stored, and a failed write — refused at once, timed out, or refused for a stale ETag — loses no decision made
/// after it and reports no success for one it held.
/// </summary>
public sealed class BatchedUpdatesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly DeepCopier<RolloutShardState> Copier = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(RolloutShardState).Assembly))
        .BuildServiceProvider()
        .GetRequiredService<DeepCopier<RolloutShardState>>();

    private readonly ControlledPersistentState<RolloutShardState> _state = new();
    private readonly BatchedUpdates<RolloutShardState> _updates;
    private int _storedCalls;

    public BatchedUpdatesTests() => _updates = new BatchedUpdates<RolloutShardState>(_state, Copier, () => _storedCalls++);

    private static bool Bump(RolloutShardState state)
    {
        state.Next++;
        return true;
    }

    /// <summary>An idempotent decision, as the grains' are: made on a state that holds it, it changes nothing.</summary>
    private static bool SetNext(RolloutShardState state, int next)
    {
        if (state.Next == next)
        {
            return false;
        }

        state.Next = next;
        return true;
    }

    [Fact]
    public async Task A_write_refused_at_once_fails_its_caller_and_the_state_stays_as_stored()
    {
        _state.RefuseWrites = new InvalidOperationException("refused");

        await Assert.ThrowsAsync<InvalidOperationException>(() => _updates.DecideAsync(Bump)).WaitAsync(Timeout);

        Assert.Equal((0, 0), (_updates.Stored.Next, _storedCalls));
        _state.RefuseWrites = null;
        var retry = _updates.DecideAsync(Bump);
        Assert.Equal(0, _updates.Stored.Next);
        _state.Complete(0);
        await retry.WaitAsync(Timeout);
        Assert.Equal((1, 1), (_updates.Stored.Next, _storedCalls));
    }

    [Fact]
    public async Task Decisions_made_during_a_write_share_the_next_one_and_outlive_its_failure()
    {
        var first = _updates.DecideAsync(Bump);
        var second = _updates.DecideAsync(Bump);
        var third = _updates.DecideAsync(Bump);
        Assert.Equal((1, 0), (_state.WritesStarted, _updates.Stored.Next));

        _state.Fail(0, new TimeoutException("timed out"));
        await Assert.ThrowsAsync<TimeoutException>(() => first).WaitAsync(Timeout);

        // The two later decisions are made again on the stored state (the first is gone) and written together.
        await _state.WhenWritesStartedAsync(2).WaitAsync(Timeout);
        Assert.Equal((2, 0), (_state.State.Next, _updates.Stored.Next));
        _state.Complete(1);
        await Task.WhenAll(second, third).WaitAsync(Timeout);
        Assert.Equal((2, 2, 1), (_state.WritesStarted, _updates.Stored.Next, _storedCalls));
        Assert.Equal(2, _updates.Stored.Next);
    }

    [Fact]
    public async Task A_stale_ETag_reads_the_stored_state_and_makes_the_decision_again_on_it()
    {
        var write = _updates.DecideAsync(Bump);

        _state.Fail(0, new InconsistentStateException("stale ETag"));
        await _state.WhenWritesStartedAsync(2).WaitAsync(Timeout);

        Assert.Equal((1, 1), (_state.Reads, _state.State.Next));
        _state.Complete(1);
        await write.WaitAsync(Timeout);
        Assert.Equal((1, 1), (_updates.Stored.Next, _storedCalls));
    }

    [Fact]
    public async Task A_stale_ETag_for_a_write_that_landed_counts_as_stored_and_is_not_written_again()
    {
        var write = _updates.DecideAsync(s => SetNext(s, 1));
        var during = _updates.DecideAsync(s => SetNext(s, 2));

        // The write went through, but its answer is a stale ETag (the storage client retried it after it had landed).
        var landed = Copier.Copy(_state.State);
        _state.Stored = () => Copier.Copy(landed);
        _state.Fail(0, new InconsistentStateException("stale ETag"));
        await write.WaitAsync(Timeout);

        Assert.Equal((1, 1, 1), (_state.Reads, _updates.Stored.Next, _storedCalls));

        // The next write is not the landed one again: it holds what was decided meanwhile, made on the stored state.
        await _state.WhenWritesStartedAsync(2).WaitAsync(Timeout);
        Assert.Equal(2, _state.State.Next);
        _state.Complete(1);
        await during.WaitAsync(Timeout);
        Assert.Equal((2, 2, 2), (_state.WritesStarted, _updates.Stored.Next, _storedCalls));
    }

    [Fact]
    public async Task A_decision_that_changes_nothing_returns_once_what_it_was_made_on_is_stored()
    {
        Assert.True(_updates.DecideAsync(_ => false).IsCompleted);

        var write = _updates.DecideAsync(Bump);
        var nothing = _updates.DecideAsync(_ => false);
        Assert.False(nothing.IsCompleted);

        _state.Complete(0);
        await Task.WhenAll(write, nothing).WaitAsync(Timeout);
        Assert.Equal(1, _state.WritesStarted);
    }

    [Fact]
    public async Task Closed_with_a_write_in_flight_it_answers_that_write_but_carries_nothing_out_and_writes_nothing_more()
    {
        var inFlight = _updates.DecideAsync(Bump);
        var behind = _updates.DecideAsync(Bump);

        // The activation ends (Orleans deactivated it) while its write is out, and a late answer of its asks comes back.
        _updates.Close();
        var late = _updates.DecideAsync(Bump);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => late).WaitAsync(Timeout);
        _state.Complete(0);
        await inFlight.WaitAsync(Timeout);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => behind).WaitAsync(Timeout);

        // The write that was out is stored, but nothing runs for it here (the next activation runs the stored outbox),
        // and no write follows it: the next activation owns the row.
        Assert.Equal((1, 1, 0), (_state.WritesStarted, _updates.Stored.Next, _storedCalls));
        Assert.True(_updates.IsClosed);
    }

    [Fact]
    public async Task Closed_during_a_stale_ETag_it_does_not_write_again_over_the_next_activation()
    {
        var write = _updates.DecideAsync(Bump);
        _updates.Close();

        // The next activation wrote the row meanwhile: this one must not read it back and write over it.
        _state.Fail(0, new InconsistentStateException("stale ETag"));

        await Assert.ThrowsAsync<InconsistentStateException>(() => write).WaitAsync(Timeout);
        Assert.Equal((1, 0, 0), (_state.WritesStarted, _state.Reads, _storedCalls));
    }
}
