using FleetMfa.Grains.Internal;

namespace FleetMfa.Tests.Internal;

public class GroupCommitTests
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(10);

    private sealed class Counter
    {
        public int Value { get; set; }
    }

    private readonly ControlledPersistentState<Counter> _state = new();

    [Fact]
    public async Task A_lone_write_is_one_storage_write()
    {
        var writer = _state.CoalescedWrites();

        var done = writer.WriteAsync();
        Assert.Equal(1, _state.WritesStarted);
        Assert.False(done.IsCompleted);

        _state.Complete(0);
        await done.WaitAsync(_timeout);
        Assert.Equal(1, _state.WritesStarted);
    }

    [Fact]
    public async Task Callers_during_a_write_in_flight_share_the_next_write()
    {
        var writer = _state.CoalescedWrites();

        var first = writer.WriteAsync();
        var joiners = Enumerable.Range(0, 9).Select(_ => writer.WriteAsync()).ToList();
        Assert.Equal(1, _state.WritesStarted);

        // The nine changes arrived after the first write had started: none of them may be acknowledged by it.
        _state.Complete(0);
        await _state.WhenWritesStartedAsync(2).WaitAsync(_timeout);
        Assert.All(joiners, j => Assert.False(j.IsCompleted));

        _state.Complete(1);
        await Task.WhenAll([first, .. joiners]).WaitAsync(_timeout);
        Assert.Equal(2, _state.WritesStarted);
    }

    [Fact]
    public async Task Never_more_than_one_write_is_in_flight()
    {
        var writer = _state.CoalescedWrites();
        var callers = new List<Task>();

        for (var round = 0; round < 5; round++)
        {
            callers.AddRange(Enumerable.Range(0, 4).Select(_ => writer.WriteAsync()));
            Assert.Equal(1, _state.WritesInFlight);
            _state.Complete(round);
            await _state.WhenWritesStartedAsync(round + 2).WaitAsync(_timeout);
        }

        _state.Complete(5);
        await Task.WhenAll(callers).WaitAsync(_timeout);
        Assert.Equal(6, _state.WritesStarted);
        Assert.Equal(0, _state.WritesInFlight);
    }

    [Fact]
    public async Task Sequential_writes_each_reach_storage()
    {
        var writer = _state.CoalescedWrites();
        for (var i = 0; i < 3; i++)
        {
            var write = writer.WriteAsync();
            _state.Complete(i);
            await write.WaitAsync(_timeout);
        }

        Assert.Equal(3, _state.WritesStarted);
    }

    [Fact]
    public async Task A_failed_write_reaches_its_callers_and_the_next_caller_writes_again()
    {
        var writer = _state.CoalescedWrites();

        var failed = writer.WriteAsync();
        var joined = writer.WriteAsync();
        _state.Fail(0, new InvalidOperationException("storage unavailable"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => failed.WaitAsync(_timeout));
        await Assert.ThrowsAsync<InvalidOperationException>(() => joined.WaitAsync(_timeout));
        Assert.Equal(1, _state.WritesStarted);

        // The change is still unsaved: the next caller writes it.
        var retry = writer.WriteAsync();
        Assert.Equal(2, _state.WritesStarted);
        _state.Complete(1);
        await retry.WaitAsync(_timeout);
        Assert.Equal(2, _state.WritesStarted);
    }

    [Fact]
    public async Task A_stale_etag_is_refreshed_and_the_in_memory_state_written_again()
    {
        var writer = _state.CoalescedWrites();
        var mine = _state.State;

        var write = writer.WriteAsync();
        _state.Fail(0, new Orleans.Storage.InconsistentStateException("ETag mismatch"));
        await _state.WhenWritesStartedAsync(2).WaitAsync(_timeout);

        Assert.Equal(1, _state.Reads);
        Assert.Same(mine, _state.State);
        Assert.False(write.IsCompleted);
        _state.Complete(1);
        await write.WaitAsync(_timeout);
        Assert.Equal(2, _state.WritesStarted);
    }

    [Fact]
    public async Task A_failure_after_coalescing_does_not_lose_the_joined_changes()
    {
        var writer = _state.CoalescedWrites();

        var first = writer.WriteAsync();
        var joined = writer.WriteAsync();
        _state.Complete(0);
        await _state.WhenWritesStartedAsync(2).WaitAsync(_timeout);
        _state.Fail(1, new TimeoutException("storage timed out"));

        // The joined change was not saved, so its caller must not see success.
        await Assert.ThrowsAsync<TimeoutException>(() => joined.WaitAsync(_timeout));
        await Assert.ThrowsAsync<TimeoutException>(() => first.WaitAsync(_timeout));

        var retry = writer.WriteAsync();
        Assert.Equal(3, _state.WritesStarted);
        _state.Complete(2);
        await retry.WaitAsync(_timeout);
    }
}
