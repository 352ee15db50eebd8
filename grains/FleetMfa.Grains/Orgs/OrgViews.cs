namespace FleetMfa.Grains.Orgs;

/// <summary>What an org shows — its settings, the policy devices take, its keys (never a secret) — from its stored state. No decisions: <see cref="OrgDecisions"/> makes those.</summary>
public static class OrgViews
{
    public static OrgSettings Settings(string orgId, OrgState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new(
            orgId, state.Name, state.TotpEnabled, state.Totp, state.EnrollmentPeriod, state.CreatedAt,
            new PolicyFanOut(state.PolicyVersion, System.Numerics.BitOperations.PopCount(state.PolicyFannedOutShards), GrainKeys.DeviceIndexShards));
    }

    public static OrgPolicy Policy(OrgState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new(state.TotpEnabled, state.Totp, state.PolicyVersion);
    }

    /// <summary>The operator keys as of <paramref name="now"/>: a key that expired shows as such.</summary>
    public static IReadOnlyList<ApiKeyInfo> ApiKeys(OrgState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        return [.. state.ApiKeys.Select(k => new ApiKeyInfo(k.KeyId, k.Name, k.CreatedAt, k.LastUsedAt, k.ExpiresAt, !k.IsLive(now)))];
    }

    /// <summary>The connect keys as of <paramref name="now"/>, with the uses left of a key that has a limit.</summary>
    public static IReadOnlyList<ConnectKeyInfo> ConnectKeys(OrgState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        return [.. state.ConnectKeys.Select(k => new ConnectKeyInfo(
            k.KeyId, k.Name, k.CreatedAt, k.LastUsedAt, k.ExpiresAt, k.ExpiresAt is { } expires && now >= expires,
            k.MaxUses is null ? null : k.Uses, k.MaxUses, k.MaxUses is { } max ? Math.Max(0, max - k.Uses) : null))];
    }
}
