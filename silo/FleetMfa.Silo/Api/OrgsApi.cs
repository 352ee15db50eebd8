using FleetMfa.Grains;
using FleetMfa.Silo.Api.Auth;
using FleetMfa.Silo.Api.Requests;
using FleetMfa.Silo.Api.Responses;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace FleetMfa.Silo.Api;

/// <summary><c>/api/orgs/{orgId}</c>: org settings, the org-level TOTP switch and operator keys.</summary>
public static class OrgsApi
{
    public static RouteGroupBuilder MapOrgsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgId}").WithTags("Orgs");
        group.MapPut("", PutOrgAsync).WithName("PutOrg").RequireAdmin();
        group.MapGet("", GetOrgAsync).WithName("GetOrg").RequireOrgAccess();
        group.MapPatch("", PatchOrgAsync).WithName("PatchOrg").RequireOrgAccess();
        group.MapPut("/mfa/totp", SetTotpAsync).WithName("SetOrgTotp").RequireOrgAccess();
        group.MapPost("/api-keys", CreateApiKeyAsync).WithName("CreateApiKey").RequireAdmin();
        group.MapPost("/connect-keys", CreateConnectKeyAsync).WithName("CreateConnectKey").RequireOrgAccess();
        group.MapDelete("/connect-keys/{keyId}", RevokeConnectKeyAsync).WithName("RevokeConnectKey").RequireOrgAccess();
        return group;
    }

    private static async Task<Ok<OrgResponse>> PutOrgAsync(string orgId, PutOrgRequest body, IGrainFactory grains) =>
        TypedResults.Ok(OrgResponse.From(await grains.GetOrg(orgId).CreateOrUpdateAsync(body.Name)));

    private static async Task<Ok<OrgResponse>> GetOrgAsync(string orgId, IGrainFactory grains)
    {
        var summary = await grains.GetOrg(orgId).GetSummaryAsync();
        return TypedResults.Ok(OrgResponse.From(summary.Settings, summary.Devices));
    }

    private static async Task<Ok<OrgResponse>> PatchOrgAsync(string orgId, PatchOrgRequest body, IGrainFactory grains)
    {
        var period = body.EnrollmentPeriodHours is { } hours ? TimeSpan.FromHours(hours) : (TimeSpan?)null;
        return TypedResults.Ok(OrgResponse.From(await grains.GetOrg(orgId).UpdateAsync(new OrgSettingsPatch(body.Name, period))));
    }

    private static async Task<Ok<OrgResponse>> SetTotpAsync(string orgId, TotpSwitchRequest body, IGrainFactory grains) =>
        TypedResults.Ok(OrgResponse.From(await grains.GetOrg(orgId).SetTotpEnabledAsync(body.Enabled)));

    private static async Task<Created<ApiKeyCreated>> CreateApiKeyAsync(string orgId, CreateApiKeyRequest body, IGrainFactory grains)
    {
        var key = await grains.GetOrg(orgId).CreateApiKeyAsync(body.Name);
        return TypedResults.Created((string?)null, key);
    }

    private static async Task<Created<ApiKeyCreated>> CreateConnectKeyAsync(
        string orgId, IGrainFactory grains, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] CreateConnectKeyRequest? body)
    {
        var key = await grains.GetOrg(orgId).CreateConnectKeyAsync(body?.Name ?? new CreateConnectKeyRequest().Name);
        return TypedResults.Created((string?)null, key);
    }

    private static async Task<NoContent> RevokeConnectKeyAsync(string orgId, string keyId, IGrainFactory grains)
    {
        if (keyId.Length != 16 || !keyId.All(char.IsAsciiHexDigitLower))
        {
            throw FleetMfaException.Validation("keyId must be 16 lowercase hex digits.");
        }

        await grains.GetOrg(orgId).RevokeConnectKeyAsync(keyId);
        return TypedResults.NoContent();
    }
}
