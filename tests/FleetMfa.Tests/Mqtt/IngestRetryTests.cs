using FleetMfa.Silo.Mqtt;
using FleetMfa.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace FleetMfa.Tests.Mqtt;

/// <summary>
/// When the bridge may acknowledge an MQTT message: once a grain took it, however long that takes — never when the
/// silo stops before a grain took it (the broker then delivers it again to the bridge's session), and never by giving
/// it up. While it waits, <c>fleetmfa_ingest_held</c> counts it.
/// </summary>
public sealed class IngestRetryTests : IDisposable
{
    private const string Topic = "fleetmfa/v1/acme/dev-1/reported";
    private readonly FakeTimeProvider _clock = new(TestClocks.Start);
    private readonly MetricsRecorder _metrics = new();
    private readonly IngestRetry _retry;
    private int _calls;

    public IngestRetryTests() => _retry = new IngestRetry(_clock, NullLogger.Instance, new IngestMetrics(_metrics.Factory));

    public void Dispose() => _metrics.Dispose();

    [Fact]
    public async Task A_message_a_grain_takes_at_once_is_acknowledged_after_one_call()
    {
        Assert.True(await _retry.HandAsync(Topic, Route(failures: 0), CancellationToken.None));
        Assert.Equal(1, _calls);
    }

    [Fact]
    public async Task A_failed_call_is_tried_again_after_a_pause_that_doubles()
    {
        var handing = _retry.HandAsync(Topic, Route(failures: 2), CancellationToken.None);
        Assert.Equal(1, _calls);

        _clock.Advance(IngestRetry.FirstPause - TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, _calls);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        await CallsAsync(2);

        _clock.Advance(IngestRetry.FirstPause);
        Assert.Equal(2, _calls);
        _clock.Advance(IngestRetry.FirstPause);
        await CallsAsync(3);

        Assert.True(await handing);
        Assert.Equal(3, _calls);
    }

    [Fact]
    public async Task A_message_no_grain_takes_for_an_hour_is_held_never_given_up_and_acknowledged_once_taken()
    {
        const int failures = 130;
        var handing = _retry.HandAsync(Topic, Route(failures), CancellationToken.None);
        var pause = IngestRetry.FirstPause;
        for (var attempt = 1; attempt <= failures; attempt++)
        {
            await CallsAsync(attempt);
            Assert.False(handing.IsCompleted, $"answered after {attempt} failed calls");
            Assert.Equal(1, _metrics.Sum("fleetmfa.ingest.held"));

            // Nothing early: the pause doubles up to the cap and stays there.
            _clock.Advance(pause - TimeSpan.FromMilliseconds(1));
            Assert.Equal(attempt, Volatile.Read(ref _calls));
            _clock.Advance(TimeSpan.FromMilliseconds(1));
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, IngestRetry.MaxPause.Ticks));
        }

        Assert.True(await handing);
        Assert.Equal(failures + 1, _calls);
        Assert.True(_clock.GetUtcNow() - TestClocks.Start > TimeSpan.FromHours(1));
        Assert.Equal(0, _metrics.Sum("fleetmfa.ingest.held"));
        Assert.Equal(failures, _metrics.Sum("fleetmfa.ingest.retries"));
    }

    [Fact]
    public async Task A_silo_that_stops_during_the_pause_leaves_the_message_unacknowledged()
    {
        using var stopping = new CancellationTokenSource();
        var handing = _retry.HandAsync(Topic, Route(failures: int.MaxValue), stopping.Token);
        Assert.Equal(1, _calls);

        await stopping.CancelAsync();

        Assert.False(await handing);
        Assert.Equal(1, _calls);
    }

    [Fact]
    public async Task A_call_that_fails_while_the_silo_stops_is_not_tried_again_and_left_unacknowledged()
    {
        using var stopping = new CancellationTokenSource();
        await stopping.CancelAsync();

        Assert.False(await _retry.HandAsync(Topic, Route(failures: 1), stopping.Token));
        Assert.Equal(1, _calls);
    }

    [Fact]
    public async Task A_call_that_succeeds_while_the_silo_stops_is_acknowledged()
    {
        using var stopping = new CancellationTokenSource();
        await stopping.CancelAsync();

        Assert.True(await _retry.HandAsync(Topic, Route(failures: 0), stopping.Token));
    }

    /// <summary>A grain call that times out <paramref name="failures"/> times, then succeeds.</summary>
    private Func<Task> Route(int failures) => () =>
    {
        var call = Interlocked.Increment(ref _calls);
        return call <= failures
            ? Task.FromException(new TimeoutException("Response did not arrive on time in 00:00:30"))
            : Task.CompletedTask;
    };

    private Task<int> CallsAsync(int calls) =>
        Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref _calls)), n => n >= calls, $"the route was called {calls} times");
}
