using FleetMfa.Grains;
using FleetMfa.Grains.Security;
using FleetMfa.Silo.Hosting;

namespace FleetMfa.Silo.Api.Auth;

/// <summary>Resolves <c>Authorization: Bearer …</c> to an <see cref="ApiCaller"/>; an operator key is checked by its own org.</summary>
public sealed class ApiKeyAuthenticator(AdminKey adminKey, IGrainFactory grains)
{
    private const int MaxKeyLength = 256;

    public async ValueTask<ApiCaller?> AuthenticateAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length > MaxKeyLength + 7)
        {
            return null;
        }

        var key = header[7..].Trim();
        return await AuthenticateKeyAsync(key);
    }

    /// <summary>The caller <paramref name="key"/> stands for: the admin, an operator of one org, or null.</summary>
    public async ValueTask<ApiCaller?> AuthenticateKeyAsync(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (adminKey.Matches(key))
        {
            return ApiCaller.Admin;
        }

        if (key.Length <= MaxKeyLength &&
            ApiKeys.TryParseOrgKey(key, ApiKeys.OperatorPrefix, out var orgId, out var keyId, out var secret) &&
            await grains.GetOrg(orgId).FindApiKeyNameAsync(keyId, ApiKeys.Hash(secret)) is { } name)
        {
            return new ApiCaller(false, orgId, keyId) { KeyName = name };
        }

        return null;
    }
}
