namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// Polling for a condition that other processes bring about (an agent's ack reaching the device grain, a device
/// coming online) with a bounded deadline — never a sleep that waits for time to pass.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>Calls <paramref name="probe"/> until <paramref name="condition"/> holds and returns that value; fails with the last one.</summary>
    public static async Task<T> HoldsAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, string what, TimeSpan? deadline = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(condition);
        var limit = deadline ?? DefaultDeadline;
        var until = DateTimeOffset.UtcNow + limit;
        while (true)
        {
            var value = await probe();
            if (condition(value))
            {
                return value;
            }

            Assert.True(DateTimeOffset.UtcNow < until, $"{what}: not within {limit.TotalSeconds} s; last seen: {value}");
            await Task.Delay(Interval);
        }
    }
}
