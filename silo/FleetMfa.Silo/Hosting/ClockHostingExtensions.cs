namespace FleetMfa.Silo.Hosting;

public static class ClockHostingExtensions
{
    private static readonly string[] OrleansClockAreas =
    [
        Orleans.Runtime.TimeProviderNames.Messaging,
        Orleans.Runtime.TimeProviderNames.SystemTimers,
        Orleans.Runtime.TimeProviderNames.Membership,
        Orleans.Runtime.TimeProviderNames.ActivationManagement,
        Orleans.Runtime.TimeProviderNames.GrainDirectory,
        Orleans.Reminders.ReminderTimeProviderNames.Reminders,
    ];

    public const string TestClockOffsetKey = "FleetMfa:Testing:ClockOffset";

    /// <summary>
    /// The clock grains use. In the Development environment only, <c>FleetMfa:Testing:ClockOffset</c> (a TimeSpan)
    /// shifts it, so an end-to-end test can restart the silo "eight days later" without waiting; anywhere else the
    /// setting is refused.
    /// </summary>
    public static WebApplicationBuilder AddFleetClock(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Configuration[TestClockOffsetKey] is not { Length: > 0 } offset)
        {
            builder.Services.AddSingleton(TimeProvider.System);
            return builder;
        }

        if (!builder.Environment.IsDevelopment())
        {
            throw new InvalidOperationException($"{TestClockOffsetKey} is a test setting and is honoured only in the Development environment.");
        }

        builder.Services.AddSingleton<TimeProvider>(new OffsetTimeProvider(TimeSpan.Parse(offset, System.Globalization.CultureInfo.InvariantCulture)));

        // Orleans takes every area's clock from the default TimeProvider unless the area has its own: keep its
        // membership, messaging and timers on real time, or the silo would judge itself dead eight days ago.
        foreach (var area in OrleansClockAreas)
        {
            builder.Services.AddKeyedSingleton(area, TimeProvider.System);
        }

        return builder;
    }
}
