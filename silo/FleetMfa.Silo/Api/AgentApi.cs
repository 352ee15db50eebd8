using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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
/// public key its desired states are signed with; <c>POST /api/agent/certificate</c>: it renews its MQTT client certificate.
/// </summary>
public static class AgentApi
{
    public static IEndpointRouteBuilder MapAgentApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/agent/enroll", EnrollAsync).WithName("EnrollAgent").WithTags("Agents");
        app.MapPost("/api/agent/certificate", RenewCertificateAsync).WithName("RenewAgentCertificate").WithTags("Agents");
        app.MapAgentCa();
        return app;
    }

    private static async Task<Results<Ok<AgentEnrollResponse>, ProblemHttpResult>> EnrollAsync(
        AgentEnrollRequest body, IGrainFactory grains, IBrokerAccounts accounts, IOptions<MqttOptions> mqtt, DesiredStateSigner signer, OperatorAuditRecorder audit,
        KnownOrgs orgs, ApiRateLimits limits, AuthRefusals refusals, FleetMetrics metrics, FleetMfaCertificateAuthority ca, IOptions<AgentTlsOptions> tls,
        HttpContext http)
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

        // A client certificate where the broker takes them (the embedded broker); a password elsewhere. An agent that
        // sends no signing request to a broker that takes certificates only has nowhere to log in: refused before the
        // key's use is spent. (The request itself is checked once the key is: no signature is verified for a stranger.)
        var withCertificate = body.Csr is not null && mqtt.Value.UsesDeviceCertificates;
        if (mqtt.Value.AgentEndpoint(withCertificate) is not { } endpoint)
        {
            throw FleetMfaException.Validation("csr is required: the broker takes client certificates only (an agent older than this control plane? FLEETMFA_MQTT_PLAINTEXT_PORT opens a password listener for development).");
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
        // A device with a certificate gets no password: the certificate is its one credential on the broker.
        using var certificate = withCertificate ? Issue(ca, ReadSigningRequest(body.Csr), device, tls.Value) : null;
        var password = certificate is null ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) : null;
        await grains.GetDevice(orgId, device.DeviceId).EnrollAgentAsync(
            new AgentEnrollment(body.Hostname, body.Os, body.OsVersion, publicKey, password is null ? null : ApiKeys.Hash(password), certificate is null ? null : Describe(certificate)));
        if (password is not null)
        {
            await accounts.CreateDeviceAccountAsync(device, password, http.RequestAborted);
        }

        await audit.RecordAgentEnrollmentAsync(http, orgId, keyId, device.DeviceId);

        // The MQTT password (if any) is in this response only.
        http.Response.Headers.CacheControl = "no-store";
        var (host, port, useTls) = endpoint;
        return TypedResults.Ok(new AgentEnrollResponse(
            orgId,
            device.DeviceId,
            new AgentMqttResponse(host, port, useTls, device.Username, password, mqtt.Value.TopicPrefix, certificate is null ? null : Respond(certificate, ca)),
            new AgentSigningKeyResponse(signer.KeyId, Convert.ToBase64String(signer.PublicKey))));
    }

    /// <summary>
    /// A device's new client certificate, for the key of the one it holds (the request's signature proves the caller
    /// holds that key: the call is authenticated by it, as a TLS client certificate would be). Anything else — an
    /// unknown org or device, a decommissioned one, another key — is the same 401.
    /// </summary>
    private static async Task<Results<Ok<AgentCertificateResponse>, ProblemHttpResult>> RenewCertificateAsync(
        RenewCertificateRequest body, IGrainFactory grains, KnownOrgs orgs, KnownDevices devices, IOptions<MqttOptions> mqtt, AuthRefusals refusals,
        FleetMfaCertificateAuthority ca, IOptions<AgentTlsOptions> tls, HttpContext http)
    {
        if (!DeviceIdentity.TryParse($"{body.OrgId}/{body.DeviceId}", out var device))
        {
            throw FleetMfaException.Validation("orgId and deviceId must name a device.");
        }

        // Storage must show the org and an enrolled agent before the request is verified and the device's grain asked:
        // a stranger costs neither a signature check nor a grain activation per request.
        var grain = grains.GetDevice(device.OrgId, device.DeviceId);
        if (!mqtt.Value.UsesDeviceCertificates ||
            !await orgs.ExistsAsync(device.OrgId, http.RequestAborted) ||
            !await devices.HasAgentAsync(device.OrgId, device.DeviceId, http.RequestAborted) ||
            ReadSigningRequest(body.Csr) is not { } request ||
            !await grain.MayRenewCertificateAsync(request.PublicKey.ExportSubjectPublicKeyInfo()))
        {
            await refusals.UnauthorizedAsync(http, new Credential("device-certificate", device.OrgId, device.DeviceId));
            return Problems.For(ErrorCodes.Unauthorized, "No device holds a certificate for this key (unknown, decommissioned or re-enrolled device).");
        }

        using var certificate = Issue(ca, request, device, tls.Value);
        await grain.RenewCertificateAsync(Describe(certificate));
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(Respond(certificate, ca));
    }

    /// <summary>The client certificate for a device's signing request, valid for the configured days.</summary>
    private static X509Certificate2 Issue(FleetMfaCertificateAuthority ca, CertificateRequest request, DeviceIdentity device, AgentTlsOptions tls) =>
        // Certificates are judged against the wall clock by their peers, never the grains' clock.
        ca.IssueClientCertificate(request, device.Username, TimeProvider.System.GetUtcNow(), TimeSpan.FromDays(tls.DeviceCertificateDays));

    /// <summary>A signing request (base64 DER) whose signature verifies, for a P-256 key; a malformed, badly signed or other one is a 400.</summary>
    private static CertificateRequest ReadSigningRequest(string? csr)
    {
        try
        {
            return FleetMfaCertificateAuthority.ReadSigningRequest(Convert.FromBase64String(csr ?? ""));
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
            throw FleetMfaException.Validation("csr must be a base64 PKCS#10 certificate signing request, signed by its ECDSA P-256 key.");
        }
    }

    private static DeviceCertificate Describe(X509Certificate2 certificate) =>
        new(certificate.SerialNumber, certificate.PublicKey.ExportSubjectPublicKeyInfo(), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));

    private static AgentCertificateResponse Respond(X509Certificate2 certificate, FleetMfaCertificateAuthority ca) =>
        new(certificate.ExportCertificatePem(), ca.Certificate.ExportCertificatePem(), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));

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
