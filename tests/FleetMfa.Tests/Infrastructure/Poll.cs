namespace FleetMfa.Tests.Infrastructure;

/// <summary>Waits for work that grains finish on their own (one-way notifications, background fan-out) — never for time to pass.</summary>
internal static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}; last value: {value}");
            }

            await Task.Delay(20);
        }
    }
}
