using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FleetMfa.Grains;
using FleetMfa.Grains.Diagnostics;
using FleetMfa.Grains.Security;
using FleetMfa.Protocol.Signing;
using FleetMfa.Protocol.Tls;
using FleetMfa.Silo.Api.Auditing;
using FleetMfa.Silo.Api.Auth;
using FleetMfa.Silo.Api.Limits;
using FleetMfa.Silo.Api.Requests;
using FleetMfa.Silo.Api.Responses;
using FleetMfa.Silo.Mqtt;
using FleetMfa.Silo.Tls;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace FleetMfa.Silo.Api;

/// <summary>
/// <c>POST /api/agent/enroll</c> (on the agent HTTPS listener, with <c>GET /api/agent/ca</c>): a device joins its org with a connect key and gets its own MQTT credentials and the
/// public key its desired states are signed with.
/// </summary>
public static class AgentApi
{
    public static IEndpointRouteBuilder MapAgentApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/agent/enroll", EnrollAsync).WithName("EnrollAgent").WithTags("Agents");
        app.MapAgentCa();
        return app;
    }

    private static async Task<Results<Ok<AgentEnrollResponse>, ProblemHttpResult>> EnrollAsync(
        AgentEnrollRequest body, IGrainFactory grains, IBrokerAccounts accounts, IOptions<MqttOptions> mqtt, DesiredStateSigner signer, OperatorAuditRecorder audit,
        KnownOrgs orgs, ApiRateLimits limits, AuthRefusals refusals, FleetMetrics metrics, FleetMfaCertificateAuthority ca, HttpContext http)
    {
        // A key may come with its CA pin (as the admin API hands it out) or without: a pin naming another CA means the
        // key was made for another control plane, and is refused like any wrong key.
        if (!ConnectKeys.TrySplit(body.ConnectKey, out var connectKey, out var pin) ||
            (pin is not null && pin != ca.Fingerprint) ||
            !ApiKeys.TryParseOrgKey(connectKey, ApiKeys.ConnectPrefix, out var orgId, out var keyId, out var secret))
        {
            await refusals.UnauthorizedAsync(http, Credential.Malformed);
            return InvalidConnectKey();
        }

        using (var lease = limits.AcquireConnectKey(keyId))
        {
            if (!lease.IsAcquired)
            {
                metrics.RateLimited();
                var seconds = RateLimitHostingExtensions.RetryAfterSeconds(lease);
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return Problems.For(ErrorCodes.RateLimited, $"Too many enrollments with this connect key; retry in {seconds} s.");
            }
        }

        // The org must be known before its grain is asked, and the use is spent (and stored, for a key with a use
        // limit) before the device is enrolled.
        if (!await orgs.ExistsAsync(orgId, http.RequestAborted) || !await grains.GetOrg(orgId).UseConnectKeyAsync(keyId, ApiKeys.Hash(secret)))
        {
            await refusals.UnauthorizedAsync(http, new Credential("connect-key", orgId, keyId));
            return InvalidConnectKey();
        }

        byte[] publicKey;
        try
        {
            publicKey = Convert.FromBase64String(body.PublicKey);
        }
        catch (FormatException)
        {
            throw FleetMfaException.Validation("publicKey must be base64.");
        }

        var device = new DeviceIdentity(orgId, NewDeviceId(body.Hostname));
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await grains.GetDevice(orgId, device.DeviceId).EnrollAgentAsync(
            new AgentEnrollment(body.Hostname, body.Os, body.OsVersion, publicKey, ApiKeys.Hash(password)));
        await accounts.CreateDeviceAccountAsync(device, password, http.RequestAborted);
        await audit.RecordAgentEnrollmentAsync(http, orgId, keyId, device.DeviceId);

        // The MQTT password is in this response only.
        http.Response.Headers.CacheControl = "no-store";
        var (host, port) = mqtt.Value.AgentEndpoint();
        return TypedResults.Ok(new AgentEnrollResponse(
            orgId,
            device.DeviceId,
            new AgentMqttResponse(host, port, mqtt.Value.AdvertisedUseTls, device.Username, password, mqtt.Value.TopicPrefix),
            new AgentSigningKeyResponse(signer.KeyId, Convert.ToBase64String(signer.PublicKey))));
    }

    private static ProblemHttpResult InvalidConnectKey() =>
        Problems.For(ErrorCodes.Unauthorized, "The connect key is not valid (unknown, revoked, expired, used up or mistyped).");

    /// <summary>A readable, unique id: the hostname reduced to slug characters, plus 8 random hex digits.</summary>
    internal static string NewDeviceId(string hostname)
    {
        var slug = new StringBuilder();
        foreach (var c in (hostname ?? "").ToLowerInvariant())
        {
            if (slug.Length == 40)
            {
                break;
            }

            var keep = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-';
            slug.Append(keep ? c : '-');
        }

        var stem = slug.ToString().Trim('-', '.', '_');
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        return stem.Length == 0 ? $"device-{suffix}" : $"{stem}-{suffix}";
    }
}
