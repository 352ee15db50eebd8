using System.Security.Cryptography;
using FleetMfa.Grains;
using FleetMfa.Silo.Api.Auth;
using FleetMfa.Silo.Api.Requests;
using FleetMfa.Silo.Api.Responses;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace FleetMfa.Silo.Api;

/// <summary><c>/api/orgs/{orgId}/rollouts</c>: bulk Enable / Disable MFA with live progress and per-device outcomes.</summary>
public static class RolloutsApi
{
    /// <summary>A rollout request may name up to <see cref="RolloutSpec.MaxDevices"/> device ids.</summary>
    public const long MaxRequestBodyBytes = 4 * 1024 * 1024;

    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static RouteGroupBuilder MapRolloutsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgId}/rollouts").WithTags("Rollouts").RequireOrgAccess();
        group.MapPost("", CreateAsync).WithName("CreateRollout").WithMetadata(new RequestSizeLimitAttribute(MaxRequestBodyBytes));
        group.MapGet("", ListAsync).WithName("ListRollouts");
        group.MapGet("/{rolloutId}", GetAsync).WithName("GetRollout");
        return group;
    }

    private static async Task<Accepted<RolloutResponse>> CreateAsync(
        string orgId, CreateRolloutRequest body, IGrainFactory grains, TimeProvider time, HttpContext http)
    {
        if ((body.DeviceIds is null) == (body.Filter is null))
        {
            throw FleetMfaException.Validation("Give exactly one of deviceIds and filter.");
        }

        var caller = (ApiCaller)http.Items[OrgAccessFilter.CallerItem]!;
        var spec = new RolloutSpec(
            body.Action,
            body.Force,
            body.Filter?.Os,
            body.MaxConcurrency ?? RolloutSpec.DefaultMaxConcurrency,
            body.RatePerMinute,
            body.AbortThresholdPercent,
            body.AckTimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : RolloutSpec.DefaultAckTimeout,
            caller.IsAdmin ? "admin" : $"key:{caller.KeyId}").Validate();
        var rolloutId = NewRolloutId(time.GetUtcNow());
        var summary = await grains.GetRollout(orgId, rolloutId).StartAsync(spec, body.DeviceIds);
        return TypedResults.Accepted($"/api/orgs/{orgId}/rollouts/{rolloutId}", RolloutResponse.From(summary));
    }

    private static async Task<Ok<RolloutListResponse>> ListAsync(string orgId, IGrainFactory grains)
    {
        var ids = await grains.GetOrg(orgId).GetRolloutIdsAsync();
        var summaries = await Task.WhenAll(ids.Select(id => grains.GetRollout(orgId, id).GetAsync()));
        return TypedResults.Ok(new RolloutListResponse([.. summaries.OfType<RolloutSummary>().Select(s => RolloutResponse.From(s))]));
    }

    private static async Task<Ok<RolloutResponse>> GetAsync(
        string orgId, string rolloutId, IGrainFactory grains, string? outcome = null, string? cursor = null, int? limit = null)
    {
        Slug.Require(rolloutId, "rolloutId");
        if (cursor is { Length: > 100 })
        {
            throw FleetMfaException.Validation("cursor is not a cursor this rollout handed out.");
        }

        if (limit is < 1 or > RolloutOutcomeQuery.MaxLimit)
        {
            throw FleetMfaException.Validation($"limit must be between 1 and {RolloutOutcomeQuery.MaxLimit}.");
        }

        var query = new RolloutOutcomeQuery(ApiEnums.ParseOptional<RolloutOutcome>(outcome, "outcome"), cursor, limit ?? RolloutOutcomeQuery.DefaultLimit);
        var rollout = grains.GetRollout(orgId, rolloutId);
        var summary = await rollout.GetAsync() ?? throw FleetMfaException.NotFound($"Rollout '{rolloutId}' does not exist in org '{orgId}'.");
        return TypedResults.Ok(RolloutResponse.From(summary, await rollout.GetOutcomesAsync(query)));
    }

    /// <summary><c>r-{yyyyMMdd-HHmmss}-{8 random}</c>: sorts by creation time, unguessable enough to not collide.</summary>
    private static string NewRolloutId(DateTimeOffset now) =>
        $"r-{now.UtcDateTime:yyyyMMdd-HHmmss}-{RandomNumberGenerator.GetString(IdAlphabet, 8)}";
}
