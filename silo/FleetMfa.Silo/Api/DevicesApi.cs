using FleetMfa.Grains;
using FleetMfa.Silo.Api.Auth;
using FleetMfa.Silo.Api.Requests;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace FleetMfa.Silo.Api;

/// <summary><c>/api/orgs/{orgId}/devices</c>: listing, detail, pre-registration, settings, the MFA switch, user bindings and decommissioning.</summary>
public static class DevicesApi
{
    public static RouteGroupBuilder MapDevicesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgId}/devices").WithTags("Devices").RequireOrgAccess();
        group.MapGet("", ListAsync).WithName("ListDevices");
        group.MapGet("/{deviceId}", GetAsync).WithName("GetDevice");
        group.MapPut("/{deviceId}", RegisterAsync).WithName("RegisterDevice");
        group.MapPatch("/{deviceId}", PatchAsync).WithName("PatchDevice");
        group.MapDelete("/{deviceId}", DecommissionAsync).WithName("DecommissionDevice");
        group.MapPost("/{deviceId}/mfa/enable", EnableMfaAsync).WithName("EnableDeviceMfa");
        group.MapPost("/{deviceId}/mfa/disable", DisableMfaAsync).WithName("DisableDeviceMfa");
        group.MapGet("/{deviceId}/users", ListUsersAsync).WithName("ListDeviceUsers");
        group.MapPut("/{deviceId}/users/{userId}", BindUserAsync).WithName("BindDeviceUser");
        group.MapDelete("/{deviceId}/users/{userId}", UnbindUserAsync).WithName("UnbindDeviceUser");
        return group;
    }

    private static async Task<Ok<DevicePage>> ListAsync(
        string orgId, IGrainFactory grains, string? os = null, string? mfa = null, bool? online = null, string? cursor = null, int? limit = null, bool? decommissioned = null)
    {
        if (cursor is not null)
        {
            Slug.Require(cursor, "cursor");
        }

        if (limit is < 1 or > DeviceQuery.MaxLimit)
        {
            throw FleetMfaException.Validation($"limit must be between 1 and {DeviceQuery.MaxLimit}.");
        }

        var query = new DeviceQuery(
            ApiEnums.ParseOptional<DeviceOs>(os, "os"),
            ApiEnums.ParseOptional<MfaStatus>(mfa, "mfa"),
            online,
            cursor,
            limit ?? DeviceQuery.DefaultLimit,
            decommissioned ?? false);
        return TypedResults.Ok(await grains.GetDeviceDirectory(orgId).ListAsync(query));
    }

    private static async Task<Ok<DeviceDetail>> GetAsync(string orgId, string deviceId, IGrainFactory grains) =>
        TypedResults.Ok(await Device(grains, orgId, deviceId).GetAsync()
            ?? throw FleetMfaException.NotFound($"Device '{deviceId}' does not exist in org '{orgId}'."));

    private static async Task<Ok<DeviceDetail>> RegisterAsync(string orgId, string deviceId, RegisterDeviceRequest body, IGrainFactory grains) =>
        TypedResults.Ok(await Device(grains, orgId, deviceId).RegisterAsync(
            new DeviceRegistration(body.Hostname, body.Os, body.OsVersion, body.Facts?.ToFacts())));

    private static async Task<Ok<DeviceDetail>> PatchAsync(string orgId, string deviceId, PatchDeviceRequest body, IGrainFactory grains) =>
        TypedResults.Ok(await Device(grains, orgId, deviceId).UpdateSettingsAsync(body.ToPatch()));

    private static async Task<Ok<DeviceDetail>> EnableMfaAsync(
        string orgId, string deviceId, IGrainFactory grains, [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] EnableMfaRequest? body) =>
        TypedResults.Ok(await Device(grains, orgId, deviceId).EnableMfaAsync(body?.Force ?? false));

    private static async Task<Ok<DeviceDetail>> DisableMfaAsync(string orgId, string deviceId, IGrainFactory grains) =>
        TypedResults.Ok(await Device(grains, orgId, deviceId).DisableMfaAsync());

    /// <summary>Decommissions the device; a second call answers the same record.</summary>
    private static async Task<Ok<DecommissionInfo>> DecommissionAsync(string orgId, string deviceId, IGrainFactory grains) =>
        TypedResults.Ok(await Device(grains, orgId, deviceId).DecommissionAsync());

    private static async Task<Ok<IReadOnlyList<DeviceUserStatus>>> ListUsersAsync(string orgId, string deviceId, IGrainFactory grains) =>
        TypedResults.Ok(await Device(grains, orgId, deviceId).GetUsersAsync());

    private static async Task<Ok<DeviceUserStatus>> BindUserAsync(string orgId, string deviceId, string userId, BindUserRequest body, IGrainFactory grains) =>
        TypedResults.Ok(await Device(grains, orgId, deviceId).BindUserAsync(Slug.Require(userId, "userId"), body.LocalUsername));

    private static async Task<NoContent> UnbindUserAsync(string orgId, string deviceId, string userId, IGrainFactory grains)
    {
        await Device(grains, orgId, deviceId).UnbindUserAsync(Slug.Require(userId, "userId"));
        return TypedResults.NoContent();
    }

    private static IDeviceGrain Device(IGrainFactory grains, string orgId, string deviceId) =>
        grains.GetDevice(orgId, Slug.Require(deviceId, "deviceId"));
}
