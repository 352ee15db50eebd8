using FleetMfa.Grains;
using FleetMfa.Silo.Api.Auth;
using FleetMfa.Silo.Api.Requests;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FleetMfa.Silo.Api;

/// <summary><c>/api/orgs/{orgId}/users</c>: users and their TOTP setup (enroll → confirm, reset).</summary>
public static class UsersApi
{
    public static RouteGroupBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgId}/users/{userId}").WithTags("Users").RequireOrgAccess();
        group.MapPut("", PutAsync).WithName("PutUser");
        group.MapGet("", GetAsync).WithName("GetUser");
        group.MapPost("/totp/enroll", EnrollAsync).WithName("StartTotpEnrollment");
        group.MapPost("/totp/confirm", ConfirmAsync).WithName("ConfirmTotpEnrollment");
        group.MapPost("/totp/reset", ResetAsync).WithName("ResetTotp");
        return group;
    }

    private static async Task<Ok<UserInfo>> PutAsync(string orgId, string userId, PutUserRequest body, IGrainFactory grains) =>
        TypedResults.Ok(await User(grains, orgId, userId).CreateOrUpdateAsync(new UserProfile(body.Username, body.Email)));

    private static async Task<Ok<UserInfo>> GetAsync(string orgId, string userId, IGrainFactory grains) =>
        TypedResults.Ok(await User(grains, orgId, userId).GetAsync()
            ?? throw FleetMfaException.NotFound($"User '{userId}' does not exist in org '{orgId}'."));

    private static async Task<Ok<TotpEnrollment>> EnrollAsync(string orgId, string userId, IGrainFactory grains, HttpContext http)
    {
        // The secret is in this response only: never let a proxy or browser keep it.
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(await User(grains, orgId, userId).StartTotpEnrollmentAsync());
    }

    private static async Task<Ok<UserInfo>> ConfirmAsync(string orgId, string userId, ConfirmTotpRequest body, IGrainFactory grains)
    {
        if (body.Code.Length is < 6 or > 8 || !body.Code.All(char.IsAsciiDigit))
        {
            throw FleetMfaException.Validation("code must be 6–8 digits.");
        }

        return TypedResults.Ok(await User(grains, orgId, userId).ConfirmTotpAsync(body.Code));
    }

    private static async Task<Ok<UserInfo>> ResetAsync(string orgId, string userId, IGrainFactory grains) =>
        TypedResults.Ok(await User(grains, orgId, userId).ResetTotpAsync());

    private static IUserGrain User(IGrainFactory grains, string orgId, string userId) =>
        grains.GetUser(orgId, Slug.Require(userId, "userId"));
}
