using FleetMfa.Grains.Rollouts;

namespace FleetMfa.Tests.Rollouts;

/// <summary><see cref="RolloutPacer"/>, a value: each start gives the next pacer, a refusal changes nothing.</summary>
public sealed class RolloutPacerTests
{
    private static readonly DateTimeOffset T0 = RolloutShardPlanTests.T0;

    /// <summary>How many starts the pacer allows at each of <paramref name="seconds"/>, taking all it allows each time.</summary>
    private static List<int> Starts(RolloutPacer pacer, params double[] seconds)
    {
        var starts = new List<int>();
        foreach (var second in seconds)
        {
            var n = 0;
            while (n < 1_000 && pacer.Take(T0 + TimeSpan.FromSeconds(second)) is { } next)
            {
                (pacer, n) = (next, n + 1);
            }

            starts.Add(n);
        }

        return starts;
    }

    [Theory]
    [InlineData(60.0, new[] { 0, 0.5, 1, 3600, 3600 }, new[] { 1, 0, 1, 1, 0 })] // one a second; an idle hour brings no burst
    [InlineData(600.0, new[] { 0, 0.5, 1.5, 60 }, new[] { 10, 5, 10, 10 })] // a bucket holds one second's worth
    [InlineData(30.0, new[] { 0.0, 1, 2, 4 }, new[] { 1, 0, 1, 1 })] // below one a second the bucket still holds one
    [InlineData(null, new[] { 0.0, 0 }, new[] { 1_000, 1_000 })] // no rate: no limit
    public void A_pacer_allows_its_rate_with_at_most_one_second_s_worth_at_once(double? perMinute, double[] seconds, int[] starts)
    {
        Assert.Equal(starts, Starts(RolloutPacer.Start(perMinute, T0), seconds));
    }

    [Fact]
    public void A_refused_start_leaves_the_pacer_as_it_was_and_a_clock_going_back_adds_nothing()
    {
        var pacer = RolloutPacer.Start(60, T0).Take(T0)!;

        Assert.Null(pacer.Take(T0 + TimeSpan.FromSeconds(0.5)));
        Assert.Equal(new RolloutPacer(60, 0, T0), pacer);
        Assert.Null(pacer.Take(T0 - TimeSpan.FromHours(1)));
        Assert.NotNull(pacer.Take(T0 + TimeSpan.FromSeconds(1)));
    }
}
