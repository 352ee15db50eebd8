using FleetMfa.Grains;
using FleetMfa.Grains.Diagnostics;
using FleetMfa.Silo.Api.Auditing;
using FleetMfa.Silo.Api.Limits;

namespace FleetMfa.Silo.Api.Auth;

/// <summary>
/// What a refused authentication costs and leaves behind: it is counted (<c>fleetmfa_auth_refusals_total</c>), spends
/// one of its client address's failure tokens (<see cref="ApiRateLimits.Failures"/>: an address that guesses keys is
/// soon refused outright), and is written to the audit trail of the org it concerns when that org exists — as far as
/// <see cref="ApiRateLimits.MayAuditRefusal"/> allows, so that an attack cannot flood the trail.
/// </summary>
public sealed class AuthRefusals(ApiRateLimits limits, KnownOrgs orgs, OperatorAuditRecorder recorder, FleetMetrics metrics)
{
    /// <summary>A missing, malformed, unknown, revoked or expired key (401).</summary>
    public Task UnauthorizedAsync(HttpContext http, Credential credential) =>
        RecordAsync(http, ErrorCodes.Unauthorized, credential.AuditActor, actorName: null, credential.Kind, credential.OrgId);

    /// <summary>A valid key used where it does not open (403), recorded in <paramref name="orgId"/>'s trail.</summary>
    public Task ForbiddenAsync(HttpContext http, ApiCaller caller, string orgId)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return RecordAsync(http, ErrorCodes.Forbidden, caller.AuditActor, caller.KeyName, caller.IsAdmin ? "admin" : "operator-key", orgId);
    }

    private async Task RecordAsync(HttpContext http, string reason, string actor, string? actorName, string credential, string? orgId)
    {
        ArgumentNullException.ThrowIfNull(http);
        metrics.AuthRefused(reason, credential);
        var address = ClientAddress.Of(http);
        limits.Failures.AttemptAcquire(address).Dispose();
        if (orgId is not null && Slug.IsValid(orgId) && limits.MayAuditRefusal(address, orgId) && await orgs.ExistsAsync(orgId, http.RequestAborted))
        {
            await recorder.RecordRefusalAsync(http, orgId, actor, actorName, reason, address);
        }
    }
}
