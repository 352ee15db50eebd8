using System.Net;
using System.Text.Json.Nodes;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>The set-up steps most tests share, each asserting that it succeeded.</summary>
public static class FleetApi
{
    public static async Task<JsonNode> CreateOrgAsync(this ApiClient api, string orgId, bool totpEnabled = true)
    {
        ArgumentNullException.ThrowIfNull(api);
        var org = (await api.PutAsync($"/api/orgs/{orgId}", new { name = $"Org {orgId}" })).Ok();
        if (totpEnabled)
        {
            org = (await api.PutAsync($"/api/orgs/{orgId}/mfa/totp", new { enabled = true })).Ok();
        }

        return org;
    }

    public static async Task<JsonNode> RegisterDeviceAsync(this ApiClient api, string orgId, string deviceId, string os = "linux", string osVersion = "12.5")
    {
        ArgumentNullException.ThrowIfNull(api);
        return (await api.PutAsync($"/api/orgs/{orgId}/devices/{deviceId}", new { hostname = deviceId, os, osVersion })).Ok();
    }

    public static async Task<JsonNode> EnableMfaAsync(this ApiClient api, string orgId, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(api);
        return (await api.PostAsync($"/api/orgs/{orgId}/devices/{deviceId}/mfa/enable")).Ok();
    }

    public static async Task<JsonNode> CreateUserAsync(this ApiClient api, string orgId, string userId)
    {
        ArgumentNullException.ThrowIfNull(api);
        return (await api.PutAsync($"/api/orgs/{orgId}/users/{userId}", new { username = userId, email = $"{userId}@example.com" })).Ok();
    }

    /// <summary>Starts TOTP setup and returns the base32 secret.</summary>
    public static async Task<string> StartEnrollmentAsync(this ApiClient api, string orgId, string userId)
    {
        ArgumentNullException.ThrowIfNull(api);
        var enrollment = (await api.PostAsync($"/api/orgs/{orgId}/users/{userId}/totp/enroll")).Ok();
        return (string)enrollment["secret"]!;
    }

    public static Task<ApiResponse> ConfirmAsync(this ApiClient api, string orgId, string userId, string code)
    {
        ArgumentNullException.ThrowIfNull(api);
        return api.PostAsync($"/api/orgs/{orgId}/users/{userId}/totp/confirm", new { code });
    }

    /// <summary>Confirms with the current oathtool code: the user ends up <c>enrolled</c>.</summary>
    public static async Task<JsonNode> ConfirmNowAsync(this ApiClient api, string orgId, string userId, string secret)
    {
        var user = (await api.ConfirmAsync(orgId, userId, Oathtool.Totp(secret))).Ok();
        Assert.Equal("enrolled", (string?)user["totpStatus"]);
        return user;
    }

    public static async Task<JsonNode> BindAsync(this ApiClient api, string orgId, string deviceId, string userId)
    {
        ArgumentNullException.ThrowIfNull(api);
        return (await api.PutAsync($"/api/orgs/{orgId}/devices/{deviceId}/users/{userId}", new { localUsername = userId })).Ok();
    }

    public static async Task<JsonArray> GetDeviceUsersAsync(this ApiClient api, string orgId, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(api);
        return (await api.GetAsync($"/api/orgs/{orgId}/devices/{deviceId}/users")).Ok().AsArray();
    }

    public static async Task<string> CreateOperatorKeyAsync(this ApiClient api, string orgId, string name = "operator")
    {
        ArgumentNullException.ThrowIfNull(api);
        var created = (await api.PostAsync($"/api/orgs/{orgId}/api-keys", new { name })).Ok(HttpStatusCode.Created);
        return (string)created["key"]!;
    }
}
