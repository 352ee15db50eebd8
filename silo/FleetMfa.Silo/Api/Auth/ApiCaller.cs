namespace FleetMfa.Silo.Api.Auth;

/// <summary>Who is calling: the admin, or an operator key of one org.</summary>
public sealed record ApiCaller(bool IsAdmin, string? OrgId, string? KeyId)
{
    public static ApiCaller Admin { get; } = new(true, null, null);

    /// <summary>The operator key's name (for the audit trail); null for the admin.</summary>
    public string? KeyName { get; init; }

    /// <summary>How the audit trail names this caller: <c>admin</c> or <c>operator-key:{keyId}</c>.</summary>
    public string AuditActor => IsAdmin ? "admin" : $"operator-key:{KeyId}";

    public bool MayAccess(string orgId) => IsAdmin || OrgId == orgId;
}
