using System.Text.Json.Nodes;

namespace FleetMfa.Testing.Fleet;

/// <summary>
/// An org set up for a test or a benchmark through the admin API, as an operator would: created, TOTP switched on
/// (unless told otherwise) and a connect key for its agents. <see cref="EnrollUserAsync"/> adds users whose TOTP setup
/// is complete, confirmed with an oathtool code.
/// </summary>
public sealed record TestOrg(string OrgId, string ConnectKeyId, string ConnectKey)
{
    public static async Task<TestOrg> CreateAsync(FleetClient api, string orgId, bool totp = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(api);
        await api.PutAsync($"/api/orgs/{orgId}", new { name = $"Org {orgId}" }, cancellationToken);
        if (totp)
        {
            await api.PutAsync($"/api/orgs/{orgId}/mfa/totp", new { enabled = true }, cancellationToken);
        }

        var key = await api.PostAsync($"/api/orgs/{orgId}/connect-keys", null, cancellationToken);
        return new TestOrg(orgId, (string)key["keyId"]!, (string)key["key"]!);
    }

    /// <summary>A user whose TOTP setup is complete: created, enrolled, confirmed with the current code. Returns the base32 secret.</summary>
    public async Task<string> EnrollUserAsync(FleetClient api, string userId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(api);
        await api.PutAsync($"/api/orgs/{OrgId}/users/{userId}", new { username = userId, email = $"{userId}@example.com" }, cancellationToken);
        var secret = (string)(await api.PostAsync($"/api/orgs/{OrgId}/users/{userId}/totp/enroll", null, cancellationToken))["secret"]!;
        var user = await api.PostAsync($"/api/orgs/{OrgId}/users/{userId}/totp/confirm", new { code = Oathtool.Totp(secret) }, cancellationToken);
        if ((string?)user["totpStatus"] != "enrolled")
        {
            throw new InvalidOperationException($"user {userId} is not enrolled after confirmation: {user.ToJsonString()}");
        }

        return secret;
    }

    /// <summary>Binds <paramref name="userId"/> to every one of <paramref name="deviceIds"/> as local account <paramref name="userId"/>, <paramref name="concurrency"/> at a time.</summary>
    public Task BindEverywhereAsync(FleetClient api, string userId, IEnumerable<string> deviceIds, int concurrency, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(api);
        return Parallel.ForEachAsync(
            deviceIds,
            new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (id, ct) => await api.PutAsync($"/api/orgs/{OrgId}/devices/{id}/users/{userId}", new { localUsername = userId }, ct));
    }

    /// <summary>The org's device counts by MFA status (<c>devices</c> of <c>GET /api/orgs/{orgId}</c>).</summary>
    public async Task<JsonNode> DeviceCountsAsync(FleetClient api, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(api);
        return (await api.GetAsync($"/api/orgs/{OrgId}", cancellationToken))["devices"]!;
    }
}
