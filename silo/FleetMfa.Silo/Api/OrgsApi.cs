using FleetMfa.Grains;
using FleetMfa.Grains.Orgs;
using FleetMfa.Protocol.Tls;
using FleetMfa.Silo.Api.Auth;
using FleetMfa.Silo.Api.Requests;
using FleetMfa.Silo.Api.Responses;
using FleetMfa.Silo.Tls;
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
        group.MapGet("/api-keys", ListApiKeysAsync).WithName("ListApiKeys").RequireAdmin();
        group.MapDelete("/api-keys/{keyId}", RevokeApiKeyAsync).WithName("RevokeApiKey").RequireAdmin();
        group.MapPost("/connect-keys", CreateConnectKeyAsync).WithName("CreateConnectKey").RequireOrgAccess();
        group.MapGet("/connect-keys", ListConnectKeysAsync).WithName("ListConnectKeys").RequireOrgAccess();
        group.MapDelete("/connect-keys/{keyId}", RevokeConnectKeyAsync).WithName("RevokeConnectKey").RequireOrgAccess();
        return group;
    }

    private static async Task<Ok<OrgResponse>> PutOrgAsync(string orgId, PutOrgRequest body, IGrainFactory grains, KnownOrgs known)
    {
        var settings = await grains.GetOrg(orgId).CreateOrUpdateAsync(body.Name);
        known.Add(orgId);
        return TypedResults.Ok(OrgResponse.From(settings));
    }

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
        var key = await grains.GetOrg(orgId).CreateApiKeyAsync(body.Name, Lifetime(body.ExpiresInHours));
        return TypedResults.Created((string?)null, key);
    }

    private static async Task<Ok<ApiKeyListResponse>> ListApiKeysAsync(string orgId, IGrainFactory grains) =>
        TypedResults.Ok(new ApiKeyListResponse(await grains.GetOrg(orgId).ListApiKeysAsync()));

    private static async Task<NoContent> RevokeApiKeyAsync(string orgId, string keyId, IGrainFactory grains)
    {
        await grains.GetOrg(orgId).RevokeApiKeyAsync(RequireKeyId(keyId));
        return TypedResults.NoContent();
    }

    private static async Task<Created<ApiKeyCreated>> CreateConnectKeyAsync(
        string orgId, IGrainFactory grains, FleetMfaCertificateAuthority ca, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] CreateConnectKeyRequest? body)
    {
        body ??= new CreateConnectKeyRequest();
        if (body.MaxUses is < 1 or > OrgDecisions.MaxConnectKeyUses)
        {
            throw FleetMfaException.Validation($"maxUses must be between 1 and {OrgDecisions.MaxConnectKeyUses}.");
        }

        var key = await grains.GetOrg(orgId).CreateConnectKeyAsync(body.Name, Lifetime(body.ExpiresInHours), body.MaxUses);

        // The key an agent is given carries the CA's fingerprint: it trusts no server but one the CA vouches for.
        return TypedResults.Created((string?)null, key with { Key = ConnectKeys.WithCaPin(key.Key, ca.Fingerprint) });
    }

    private static async Task<Ok<ConnectKeyListResponse>> ListConnectKeysAsync(string orgId, IGrainFactory grains) =>
        TypedResults.Ok(new ConnectKeyListResponse(await grains.GetOrg(orgId).ListConnectKeysAsync()));

    private static async Task<NoContent> RevokeConnectKeyAsync(string orgId, string keyId, IGrainFactory grains)
    {
        await grains.GetOrg(orgId).RevokeConnectKeyAsync(RequireKeyId(keyId));
        return TypedResults.NoContent();
    }

    private static string RequireKeyId(string keyId) =>
        keyId.Length == 16 && keyId.All(char.IsAsciiHexDigitLower) ? keyId : throw FleetMfaException.Validation("keyId must be 16 lowercase hex digits.");

    /// <summary><c>expiresInHours</c> as a lifetime: checked here (400) before any grain is called, and again by the org.</summary>
    private static TimeSpan? Lifetime(int? expiresInHours) =>
        expiresInHours switch
        {
            null => null,
            < OrgDecisions.MinKeyLifetimeHours or > OrgDecisions.MaxKeyLifetimeHours =>
                throw FleetMfaException.Validation($"expiresInHours must be between {OrgDecisions.MinKeyLifetimeHours} and {OrgDecisions.MaxKeyLifetimeHours}."),
            { } hours => TimeSpan.FromHours(hours),
        };
}
