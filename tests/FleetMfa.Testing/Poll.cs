namespace FleetMfa.Testing;

/// <summary>
/// Waits for a condition that something else brings about — a grain's one-way notification or background fan-out, an
/// agent's ack reaching the control plane, a device coming online — with a bounded deadline: never a sleep that waits
/// for time to pass. Probes soon at first (20 ms) and then less often (up to every 100 ms), so that an in-process
/// grain answers quickly and an HTTP probe does not busy the machine.
/// </summary>
public static class Poll
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan FirstInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan MaxInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Calls <paramref name="read"/> until <paramref name="done"/> holds for its value and returns that value; throws
    /// <see cref="TimeoutException"/> naming <paramref name="what"/> and the last value after <paramref name="timeout"/>
    /// (default <see cref="DefaultTimeout"/>).
    /// </summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(done);
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTimeOffset.UtcNow + limit;
        var interval = FirstInterval;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting until {what}; last value: {value}");
            }

            await Task.Delay(interval);
            interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, MaxInterval.Ticks));
        }
    }

    /// <summary><see cref="UntilAsync{T}"/> for a condition read in memory.</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return UntilAsync(() => Task.FromResult(condition()), done => done, what, timeout);
    }
}
