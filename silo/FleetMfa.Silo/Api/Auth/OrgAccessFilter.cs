using FleetMfa.Grains;
using FleetMfa.Silo.Api.Auditing;

namespace FleetMfa.Silo.Api.Auth;

/// <summary>
/// Guards every <c>/api/orgs/{orgId}</c> route: the org id must be a slug (400), the caller must hold a key (401),
/// and an operator key opens only its own org (403); both refusals are
/// counted and audited (<see cref="AuthRefusals"/>). <paramref name="adminOnly"/> routes take the admin key alone.
/// Every mutating call that gets through is written to the org's audit trail before it runs (outcome
/// <c>started</c>, replaced by its outcome once it returns); when the trail cannot be written the call does not run
/// (503 <c>audit-unavailable</c>), so no change is made without its record.
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

        if (await recorder.BeginAsync(http, caller, orgId, context.Arguments) is not { } started)
        {
            return Problems.For(ErrorCodes.AuditUnavailable, "The audit trail cannot be written, so nothing was changed; try again.");
        }

        object? result;
        try
        {
            result = await next(context);
        }
        catch (Exception ex)
        {
            await recorder.CompleteAsync(http, started, ex);
            throw;
        }

        await recorder.CompleteAsync(http, started, result);
        return result;
    }
}
