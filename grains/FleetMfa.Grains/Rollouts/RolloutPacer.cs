namespace FleetMfa.Grains.Rollouts;

/// <summary>
/// A token bucket for a rollout's start rate: <see cref="PerMinute"/> tokens a minute, holding at most one second's
/// worth (and at least one), so a rate is kept without bursts after an idle spell. No rate means no limit. A value:
/// taking a token gives the next pacer, and a refill is worked out from <see cref="At"/> whenever a token is wanted.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.RolloutPacer")]
public sealed record RolloutPacer(
    [property: Id(0)] double? PerMinute,
    [property: Id(1)] double Tokens,
    [property: Id(2)] DateTimeOffset At)
{
    /// <summary>A full bucket at <paramref name="now"/>.</summary>
    public static RolloutPacer Start(double? perMinute, DateTimeOffset now) => new(perMinute, Capacity(perMinute), now);

    /// <summary>The pacer after one start at <paramref name="now"/>; <c>null</c> when the rate allows none yet (nothing changes then).</summary>
    public RolloutPacer? Take(DateTimeOffset now)
    {
        if (PerMinute is not { } rate)
        {
            return this;
        }

        var tokens = Math.Min(Capacity(rate), Tokens + (Math.Max(0, (now - At).TotalMinutes) * rate));
        return tokens < 1 ? null : new RolloutPacer(rate, tokens - 1, now);
    }

    private static double Capacity(double? perMinute) => perMinute is { } rate ? Math.Max(1, rate / 60) : 0;
}
