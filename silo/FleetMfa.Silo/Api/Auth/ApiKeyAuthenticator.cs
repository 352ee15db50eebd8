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
        if (adminKey.Matches(key))
        {
            return ApiCaller.Admin;
        }

        if (ApiKeys.TryParseOrgKey(key, ApiKeys.OperatorPrefix, out var orgId, out var keyId, out var secret) &&
            await grains.GetOrg(orgId).IsApiKeyValidAsync(keyId, ApiKeys.Hash(secret)))
        {
            return new ApiCaller(false, orgId, keyId);
        }

        return null;
    }
}
