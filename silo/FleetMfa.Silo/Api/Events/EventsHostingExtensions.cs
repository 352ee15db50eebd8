using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace FleetMfa.Silo.Api.Events;

public static class EventsHostingExtensions
{
    public static WebApplicationBuilder AddFleetEvents(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<EventStreamOptions>().BindConfiguration(EventStreamOptions.SectionName)
            .Validate(o => o.PollInterval > TimeSpan.Zero && o.KeepAliveInterval > TimeSpan.Zero && o.MaxStreamsPerKey > 0, "Events options must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton<EventStreamLimiter>();
        builder.Services.AddSingleton(sp => new OrgEventFeed(
            sp.GetRequiredService<IGrainFactory>(),
            sp.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions,
            sp.GetRequiredService<IOptions<EventStreamOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<OrgEventFeed>>()));
        return builder;
    }
}
