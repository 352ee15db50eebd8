namespace FleetMfa.Agent.Tests.Infrastructure;

/// <summary>
/// A <see cref="TimeProvider"/> whose wall clock and monotonic clock move independently: <see cref="Advance"/> moves
/// both (time passes), <see cref="StepWall"/> only the wall clock (an administrator or NTP setting it), and
/// <see cref="Reboot"/> starts the monotonic clock over, as a new boot does.
/// </summary>
public sealed class SplitClock(DateTimeOffset wall) : TimeProvider
{
    private long _monotonicTicks = TimeSpan.FromHours(3).Ticks;

    public DateTimeOffset Wall { get; private set; } = wall;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow() => Wall;

    public override long GetTimestamp() => _monotonicTicks;

    public void Advance(TimeSpan elapsed)
    {
        Wall += elapsed;
        _monotonicTicks += elapsed.Ticks;
    }

    public void StepWall(TimeSpan step) => Wall += step;

    /// <summary>The machine was down for <paramref name="downtime"/> (by the wall clock) and has just come back up.</summary>
    public void Reboot(TimeSpan downtime)
    {
        Wall += downtime;
        _monotonicTicks = TimeSpan.FromSeconds(5).Ticks;
    }
}
