using System.Net.Http.Headers;
using System.Text;

namespace FleetMfa.Silo.Api.Auth;

/// <summary>
/// Guards the operations areas (<c>/metrics</c>, the Orleans dashboard at <c>/dashboard</c>, the OpenAPI document at <c>/openapi</c>): the admin key only, as
/// <c>Authorization: Bearer &lt;key&gt;</c> (Prometheus' <c>authorization</c> setting) or as the password of HTTP Basic
/// authentication with any user name (a browser asks for it once and sends it with every request of the dashboard).
/// No key or a wrong one is 401 (with both challenges), an operator key 403.
/// </summary>
public sealed class AdminAreaMiddleware(RequestDelegate next, ApiKeyAuthenticator authenticator, AuthRefusals refusals)
{
    public const string Realm = "FleetMfa admin";
    private const int MaxHeaderLength = 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = await authenticator.AuthenticateKeyAsync(context, KeyOf(context.Request));
        if (caller is { IsAdmin: true })
        {
            await next(context);
            return;
        }

        if (caller is null)
        {
            context.Response.Headers.WWWAuthenticate = new(["Bearer", $"Basic realm=\"{Realm}\", charset=\"UTF-8\""]);
            await Problems.For(Grains.ErrorCodes.Unauthorized, "The admin key is required: Authorization: Bearer <key>, or HTTP Basic with the key as password.").ExecuteAsync(context);
            return;
        }

        await refusals.ForbiddenAsync(context, caller, caller.OrgId!);
        await Problems.For(Grains.ErrorCodes.Forbidden, "This area needs the admin key.").ExecuteAsync(context);
    }

    /// <summary>The key of a Bearer header, or the password of a Basic one; null when there is none.</summary>
    internal static string? KeyOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.Length is 0 or > MaxHeaderLength || !AuthenticationHeaderValue.TryParse(header, out var value) || value.Parameter is not { Length: > 0 } parameter)
        {
            return null;
        }

        if (value.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return parameter.Trim();
        }

        if (!value.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var credentials = Encoding.UTF8.GetString(Convert.FromBase64String(parameter));
            var colon = credentials.IndexOf(':', StringComparison.Ordinal);
            return colon >= 0 && colon < credentials.Length - 1 ? credentials[(colon + 1)..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
