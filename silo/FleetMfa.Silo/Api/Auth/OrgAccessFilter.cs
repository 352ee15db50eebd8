using FleetMfa.Grains;
using FleetMfa.Silo.Api.Auditing;

namespace FleetMfa.Silo.Api.Auth;

/// <summary>
/// Guards every <c>/api/orgs/{orgId}</c> route: the org id must be a slug (400), the caller must hold a key (401),
/// and an operator key opens only its own org (403); both refusals are
/// counted and audited (<see cref="AuthRefusals"/>). <paramref name="adminOnly"/> routes take the admin key alone.
/// Every mutating call that gets through is written to the org's audit trail with its outcome.
/// </summary>
public sealed class OrgAccessFilter(ApiKeyAuthenticator authenticator, AuthRefusals refusals, OperatorAuditRecorder recorder, bool adminOnly) : IEndpointFilter
{
    public const string CallerItem = "fleetmfa.caller";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        var orgId = http.Request.RouteValues["orgId"] as string;
        if (!Slug.IsValid(orgId))
        {
            return Problems.For(ErrorCodes.Validation, "orgId must match [a-z0-9][a-z0-9._-]{0,62}.");
        }

        var caller = await authenticator.AuthenticateAsync(http);
        if (caller is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Problems.For(ErrorCodes.Unauthorized, "A valid API key is required: Authorization: Bearer <key>.");
        }

        if (!caller.MayAccess(orgId) || (adminOnly && !caller.IsAdmin))
        {
            await refusals.ForbiddenAsync(http, caller, orgId);
            return Problems.For(ErrorCodes.Forbidden, adminOnly ? "This action needs the admin key." : "This key does not give access to this org.");
        }

        http.Items[CallerItem] = caller;
        if (!OperatorAuditRecorder.IsMutating(http.Request))
        {
            return await next(context);
        }

        object? result;
        try
        {
            result = await next(context);
        }
        catch (Exception ex)
        {
            await recorder.RecordAsync(http, caller, orgId, context.Arguments, ex);
            throw;
        }

        await recorder.RecordAsync(http, caller, orgId, context.Arguments, result);
        return result;
    }
}
