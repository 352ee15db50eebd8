using FleetMfa.Silo.Mqtt;
using FleetMfa.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace FleetMfa.Tests.Mqtt;

/// <summary>A device's publish budget on the embedded broker: its burst at once, then its rate, never more.</summary>
public sealed class PublishBudgetTests
{
    private readonly FakeTimeProvider _clock = new(TestClocks.Start);

    [Fact]
    public void A_burst_goes_through_and_the_next_message_is_refused_until_time_refills_the_budget()
    {
        var budget = new PublishBudget(messagesPerSecond: 10, burst: 5, _clock);

        Assert.Equal(5, TakeAll(budget));
        Assert.False(budget.TryTake(out _));

        _clock.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(budget.TryTake(out _));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(budget.TryTake(out _));
        Assert.False(budget.TryTake(out _));
    }

    [Theory]
    [InlineData(10, 50, 1, 10)]
    [InlineData(10, 50, 30, 50)] // an idle device saves up no more than its burst
    [InlineData(0.5, 3, 4, 2)]
    public void Time_refills_the_budget_at_the_rate_up_to_the_burst(double rate, int burst, int idleSeconds, int expected)
    {
        var budget = new PublishBudget(rate, burst, _clock);
        TakeAll(budget);

        _clock.Advance(TimeSpan.FromSeconds(idleSeconds));

        Assert.Equal(expected, TakeAll(budget));
    }

    [Fact]
    public void A_flood_over_ten_seconds_gets_the_burst_plus_the_rate_and_nothing_more()
    {
        var budget = new PublishBudget(messagesPerSecond: 10, burst: 50, _clock);
        var taken = 0;
        for (var tick = 0; tick < 10_000; tick++)
        {
            // 1,000 messages a second for 10 s.
            taken += budget.TryTake(out _) ? 1 : 0;
            _clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.InRange(taken, 50 + 99, 50 + 100);
    }

    [Fact]
    public void Throttling_is_announced_once_per_flood()
    {
        var budget = new PublishBudget(messagesPerSecond: 1, burst: 1, _clock);
        Assert.True(budget.TryTake(out var first));
        Assert.False(first);

        Assert.False(budget.TryTake(out var starts));
        Assert.True(starts);
        Assert.False(budget.TryTake(out var again));
        Assert.False(again);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(budget.TryTake(out _));
        Assert.False(budget.TryTake(out var startsAgain));
        Assert.True(startsAgain);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-1, 1)]
    [InlineData(1, 0)]
    public void A_budget_that_would_let_nothing_through_is_refused(double rate, int burst) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PublishBudget(rate, burst, _clock));

    private static int TakeAll(PublishBudget budget)
    {
        var taken = 0;
        while (budget.TryTake(out _))
        {
            taken++;
        }

        return taken;
    }
}
