namespace FleetMfa.Silo.Api.Events;

/// <summary>The dashboard's live updates (<c>GET /api/orgs/{orgId}/events</c>), section <c>Events</c>.</summary>
public sealed class EventStreamOptions
{
    public const string SectionName = "Events";

    /// <summary>How often a stream re-reads grain state and pushes what changed. Default 1 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A <c>ping</c> event after this long without another, so proxies keep the stream open. Default 15 s.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Open streams one key may hold on one silo (a dashboard tab needs one). Default 4.</summary>
    public int MaxStreamsPerKey { get; set; } = 4;
}
