using System.Net.ServerSentEvents;
using FleetMfa.Grains;
using FleetMfa.Silo.Api.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace FleetMfa.Silo.Api.Events;

/// <summary>
/// <c>GET /api/orgs/{orgId}/events</c>: server-sent events for the dashboard — <c>org</c> (settings and device counts),
/// <c>devices</c> (the page the client shows, when <c>limit</c> is given; same filters as the device listing),
/// <c>device</c> (one device's detail and users, <c>device=</c>), <c>rollout</c> (<c>rollout=</c>), <c>ping</c>, and a
/// final <c>error</c> when the org does not exist. Authenticated like every org route (the key in the
/// <c>Authorization</c> header, never in the URL); at most <see cref="EventStreamOptions.MaxStreamsPerKey"/> per key.
/// </summary>
public static class EventsApi
{
    /// <summary>The problem code of a key that holds too many streams already (429).</summary>
    public const string TooManyStreamsCode = "too-many-streams";

    public static IEndpointConventionBuilder MapEventsApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/orgs/{orgId}/events", Stream).WithName("OrgEvents").WithTags("Events").RequireOrgAccess();

    private static Results<ServerSentEventsResult<string>, ProblemHttpResult> Stream(
        string orgId,
        HttpContext http,
        OrgEventFeed feed,
        EventStreamLimiter limiter,
        IOptions<EventStreamOptions> options,
        string? os = null,
        string? mfa = null,
        bool? online = null,
        string? cursor = null,
        int? limit = null,
        string? device = null,
        string? rollout = null,
        bool? decommissioned = null)
    {
        DeviceQuery? devices = null;
        if (limit is not null)
        {
            if (limit is < 1 or > DeviceQuery.MaxLimit)
            {
                throw FleetMfaException.Validation($"limit must be between 1 and {DeviceQuery.MaxLimit}.");
            }

            devices = new DeviceQuery(
                ApiEnums.ParseOptional<DeviceOs>(os, "os"),
                ApiEnums.ParseOptional<MfaStatus>(mfa, "mfa"),
                online,
                cursor is null ? null : Slug.Require(cursor, "cursor"),
                limit.Value,
                decommissioned ?? false);
        }

        var watch = new EventWatch(
            orgId,
            devices,
            device is null ? null : Slug.Require(device, "device"),
            rollout is null ? null : Slug.Require(rollout, "rollout"));

        var caller = (ApiCaller)http.Items[OrgAccessFilter.CallerItem]!;
        var lease = limiter.TryAcquire(caller.IsAdmin ? "admin" : $"{caller.OrgId}/{caller.KeyId}", options.Value.MaxStreamsPerKey);
        if (lease is null)
        {
            return TypedResults.Problem(
                detail: $"This key holds {options.Value.MaxStreamsPerKey} event streams already; close one first.",
                statusCode: StatusCodes.Status429TooManyRequests,
                title: "Too many event streams.",
                extensions: new Dictionary<string, object?> { ["code"] = TooManyStreamsCode });
        }

        // Released when the response ends, whether or not the stream was ever read.
        http.Response.RegisterForDispose(lease);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.ServerSentEvents(feed.ReadAsync(watch, http.RequestAborted));
    }
}
