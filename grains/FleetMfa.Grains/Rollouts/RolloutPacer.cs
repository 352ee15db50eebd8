namespace FleetMfa.Grains.Rollouts;

/// <summary>
/// A token bucket for a rollout's start rate: <c>perMinute</c> tokens a minute, holding at most one second's worth
/// (and at least one), so a rate is kept without bursts after an idle spell. No rate means no limit.
/// </summary>
internal sealed class RolloutPacer(double? perMinute, TimeProvider time)
{
    private readonly double _capacity = perMinute is { } rate ? Math.Max(1, rate / 60) : 0;
    private double _tokens = perMinute is { } rate0 ? Math.Max(1, rate0 / 60) : 0;
    private DateTimeOffset _at = time.GetUtcNow();

    public bool TryTake()
    {
        if (perMinute is not { } rate)
        {
            return true;
        }

        var now = time.GetUtcNow();
        _tokens = Math.Min(_capacity, _tokens + ((now - _at).TotalMinutes * rate));
        _at = now;
        if (_tokens < 1)
        {
            return false;
        }

        _tokens--;
        return true;
    }
}
