using FleetMfa.Grains;
using FleetMfa.Grains.Security;
using FleetMfa.Silo.Hosting;

namespace FleetMfa.Silo.Api.Auth;

/// <summary>
/// Resolves <c>Authorization: Bearer …</c> to an <see cref="ApiCaller"/>; an operator key is checked by its own org,
/// and only once <see cref="KnownOrgs"/> knows that org, so a key naming an org that does not exist activates nothing.
/// Every refusal goes to <see cref="AuthRefusals"/>.
/// </summary>
public sealed class ApiKeyAuthenticator(AdminKey adminKey, IGrainFactory grains, KnownOrgs orgs, AuthRefusals refusals)
{
    private const int MaxKeyLength = 256;

    public ValueTask<ApiCaller?> AuthenticateAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var header = context.Request.Headers.Authorization.ToString();
        var key = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length <= MaxKeyLength + 7 ? header[7..].Trim() : null;
        return AuthenticateKeyAsync(context, key);
    }

    /// <summary>The caller <paramref name="key"/> stands for: the admin, an operator of one org, or null (refused, and recorded as such).</summary>
    public async ValueTask<ApiCaller?> AuthenticateKeyAsync(HttpContext context, string? key)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (key is not { Length: > 0 })
        {
            await refusals.UnauthorizedAsync(context, Credential.None);
            return null;
        }

        if (adminKey.Matches(key))
        {
            return ApiCaller.Admin;
        }

        if (key.Length > MaxKeyLength || !ApiKeys.TryParseOrgKey(key, ApiKeys.OperatorPrefix, out var orgId, out var keyId, out var secret))
        {
            await refusals.UnauthorizedAsync(context, Credential.Malformed);
            return null;
        }

        if (await orgs.ExistsAsync(orgId, context.RequestAborted) &&
            await grains.GetOrg(orgId).FindApiKeyNameAsync(keyId, ApiKeys.Hash(secret)) is { } name)
        {
            return new ApiCaller(false, orgId, keyId) { KeyName = name };
        }

        await refusals.UnauthorizedAsync(context, new Credential("operator-key", orgId, keyId));
        return null;
    }
}
