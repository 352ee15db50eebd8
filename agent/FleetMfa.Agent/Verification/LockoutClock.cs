using FleetMfa.Agent.Store;

namespace FleetMfa.Agent.Verification;

/// <summary>
/// Stamps failed codes (<see cref="FailureStamp"/>) and says which still count toward a lockout. Within one boot a
/// failure's age is measured on the monotonic clock, so stepping the wall clock back neither extends a lockout nor
/// stepping it forward ends one. A failure of another boot (or of unknown boot) can only be aged by the wall clock:
/// a reboot ends a lockout only once its window has passed by the wall clock too. A failure of another boot stamped
/// more than <see cref="MaxFutureSkew"/> ahead of the wall clock was stamped by a badly wrong clock and is dropped.
/// </summary>
public sealed class LockoutClock(TimeProvider time, string? bootId)
{
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromDays(1);

    /// <summary>Now, on both clocks.</summary>
    public FailureStamp Now() => new(bootId, MonotonicTicks(time), time.GetUtcNow());

    /// <summary>
    /// <paramref name="time"/>'s timestamp in 100 ns ticks: the system's is <c>CLOCK_MONOTONIC</c> on Linux, one clock
    /// for every process of a boot, so a failure one <c>verify</c> recorded ages in the next one's terms.
    /// </summary>
    public static long MonotonicTicks(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return (long)((Int128)time.GetTimestamp() * TimeSpan.TicksPerSecond / time.TimestampFrequency);
    }

    /// <summary>Drops the failures that no longer count at <paramref name="now"/>; what is left is the lockout count.</summary>
    public static void DropExpired(List<FailureStamp> failures, FailureStamp now, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(failures);
        ArgumentNullException.ThrowIfNull(now);
        for (var i = failures.Count - 1; i >= 0; i--)
        {
            var failure = failures[i];
            if (now.BootId is not null && failure.BootId == now.BootId)
            {
                if (failure.MonotonicTicks > now.MonotonicTicks)
                {
                    // Ahead of this boot's own clock (a damaged ledger): it counts, but ages from now rather than from a time that never comes.
                    failures[i] = failure with { MonotonicTicks = now.MonotonicTicks };
                }
                else if (now.MonotonicTicks - failure.MonotonicTicks >= window.Ticks)
                {
                    failures.RemoveAt(i);
                }
            }
            else if (failure.At - now.At > MaxFutureSkew || now.At - failure.At >= window)
            {
                failures.RemoveAt(i);
            }
        }
    }
}
