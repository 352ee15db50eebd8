namespace FleetMfa.Silo.Api.Auth;

/// <summary>Who is calling: the admin, or an operator key of one org.</summary>
public sealed record ApiCaller(bool IsAdmin, string? OrgId, string? KeyId)
{
    public static ApiCaller Admin { get; } = new(true, null, null);

    public bool MayAccess(string orgId) => IsAdmin || OrgId == orgId;
}
