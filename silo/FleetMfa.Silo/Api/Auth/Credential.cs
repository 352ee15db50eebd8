namespace FleetMfa.Silo.Api.Auth;

/// <summary>What a request presented: its kind (<c>none</c>, <c>malformed</c>, <c>admin</c>, <c>operator-key</c>, <c>connect-key</c>) and, for an org key, the org and key id it claims.</summary>
public sealed record Credential(string Kind, string? OrgId = null, string? KeyId = null)
{
    public static Credential None { get; } = new("none");

    public static Credential Malformed { get; } = new("malformed");

    public static Credential Admin { get; } = new("admin");

    /// <summary>How the audit trail names whoever held it: <c>operator-key:{keyId}</c>, <c>connect-key:{keyId}</c> or the kind.</summary>
    public string AuditActor => KeyId is null ? Kind : $"{Kind}:{KeyId}";
}
