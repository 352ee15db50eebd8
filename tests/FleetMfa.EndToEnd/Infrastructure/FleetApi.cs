using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>The set-up steps most tests share, each asserting that it succeeded.</summary>
public static class FleetApi
{
    public static async Task<JsonNode> CreateOrgAsync(this ApiClient api, string orgId, bool totpEnabled = true)
    {
        ArgumentNullException.ThrowIfNull(api);
        var org = (await api.PutAsync($"/api/orgs/{orgId}", new { name = $"Org {orgId}" })).Ok();
        if (totpEnabled)
        {
            org = (await api.PutAsync($"/api/orgs/{orgId}/mfa/totp", new { enabled = true })).Ok();
        }

        return org;
    }

    public static async Task<JsonNode> RegisterDeviceAsync(this ApiClient api, string orgId, string deviceId, string os = "linux", string osVersion = "12.5")
    {
        ArgumentNullException.ThrowIfNull(api);
        return (await api.PutAsync($"/api/orgs/{orgId}/devices/{deviceId}", new { hostname = deviceId, os, osVersion })).Ok();
    }

    public static async Task<JsonNode> EnableMfaAsync(this ApiClient api, string orgId, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(api);
        return (await api.PostAsync($"/api/orgs/{orgId}/devices/{deviceId}/mfa/enable")).Ok();
    }

    public static async Task<JsonNode> CreateUserAsync(this ApiClient api, string orgId, string userId)
    {
        ArgumentNullException.ThrowIfNull(api);
        return (await api.PutAsync($"/api/orgs/{orgId}/users/{userId}", new { username = userId, email = $"{userId}@example.com" })).Ok();
    }

    /// <summary>Starts TOTP setup and returns the base32 secret.</summary>
    public static async Task<string> StartEnrollmentAsync(this ApiClient api, string orgId, string userId)
    {
        ArgumentNullException.ThrowIfNull(api);
        var enrollment = (await api.PostAsync($"/api/orgs/{orgId}/users/{userId}/totp/enroll")).Ok();
        return (string)enrollment["secret"]!;
    }

    public static Task<ApiResponse> ConfirmAsync(this ApiClient api, string orgId, string userId, string code)
    {
        ArgumentNullException.ThrowIfNull(api);
        return api.PostAsync($"/api/orgs/{orgId}/users/{userId}/totp/confirm", new { code });
    }

    /// <summary>Confirms with the current oathtool code: the user ends up <c>enrolled</c>.</summary>
    public static async Task<JsonNode> ConfirmNowAsync(this ApiClient api, string orgId, string userId, string secret)
    {
        var user = (await api.ConfirmAsync(orgId, userId, Oathtool.Totp(secret))).Ok();
        Assert.Equal("enrolled", (string?)user["totpStatus"]);
        return user;
    }

    public static async Task<JsonNode> BindAsync(this ApiClient api, string orgId, string deviceId, string userId)
    {
        ArgumentNullException.ThrowIfNull(api);
        return (await api.PutAsync($"/api/orgs/{orgId}/devices/{deviceId}/users/{userId}", new { localUsername = userId })).Ok();
    }

    public static async Task<JsonArray> GetDeviceUsersAsync(this ApiClient api, string orgId, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(api);
        return (await api.GetAsync($"/api/orgs/{orgId}/devices/{deviceId}/users")).Ok().AsArray();
    }

    public static async Task<string> CreateOperatorKeyAsync(this ApiClient api, string orgId, string name = "operator")
    {
        ArgumentNullException.ThrowIfNull(api);
        var created = (await api.PostAsync($"/api/orgs/{orgId}/api-keys", new { name })).Ok(HttpStatusCode.Created);
        return (string)created["key"]!;
    }

    /// <summary>A new agent connect key of the org (shown once): its id (for revocation) and the key itself.</summary>
    public static async Task<(string KeyId, string Key)> CreateConnectKeyAsync(this ApiClient api, string orgId)
    {
        ArgumentNullException.ThrowIfNull(api);
        var created = (await api.PostAsync($"/api/orgs/{orgId}/connect-keys")).Ok(HttpStatusCode.Created);
        return ((string)created["keyId"]!, (string)created["key"]!);
    }

    /// <summary>A user who completed TOTP setup with an oathtool code; returns the base32 secret.</summary>
    public static async Task<string> CreateEnrolledUserAsync(this ApiClient api, string orgId, string userId)
    {
        await api.CreateUserAsync(orgId, userId);
        var secret = await api.StartEnrollmentAsync(orgId, userId);
        await api.ConfirmNowAsync(orgId, userId, secret);
        return secret;
    }

    public static async Task<JsonNode> BindAsync(this ApiClient api, string orgId, string deviceId, string userId, string localUsername)
    {
        ArgumentNullException.ThrowIfNull(api);
        return (await api.PutAsync($"/api/orgs/{orgId}/devices/{deviceId}/users/{userId}", new { localUsername })).Ok();
    }

    public static async Task<JsonNode> GetDeviceAsync(this ApiClient api, string orgId, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(api);
        return (await api.GetAsync($"/api/orgs/{orgId}/devices/{deviceId}")).Ok();
    }

    /// <summary>The details of <paramref name="deviceIds"/> (<c>GET …/devices/{id}</c>, eight at a time), by device id.</summary>
    public static async Task<IReadOnlyDictionary<string, JsonNode>> GetDevicesAsync(this ApiClient api, string orgId, IEnumerable<string> deviceIds)
    {
        var details = new System.Collections.Concurrent.ConcurrentDictionary<string, JsonNode>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(deviceIds, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, _) => details[id] = await api.GetDeviceAsync(orgId, id));
        return details;
    }

    /// <summary>
    /// The rollout (its first outcome only), or null while the silo cannot answer: not 200, no answer, or a call that
    /// times out (into a dead silo, or while storage is unreachable).
    /// </summary>
    public static async Task<JsonNode?> TryGetRolloutAsync(this ApiClient api, string orgId, string rolloutId)
    {
        ArgumentNullException.ThrowIfNull(api);
        try
        {
            var response = await api.GetAsync($"/api/orgs/{orgId}/rollouts/{rolloutId}?limit=1");
            return response.Status == HttpStatusCode.OK ? response.Json : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Every per-device outcome of a rollout (with <paramref name="outcome"/> only, when given), through all its pages.</summary>
    public static async Task<IReadOnlyList<JsonNode>> GetRolloutOutcomesAsync(this ApiClient api, string orgId, string rolloutId, string? outcome = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        var outcomes = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var query = $"limit=1000{(outcome is null ? "" : $"&outcome={outcome}")}{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}";
            var page = (await api.GetAsync($"/api/orgs/{orgId}/rollouts/{rolloutId}?{query}")).Ok();
            outcomes.AddRange(page["outcomes"]!.AsArray().Select(o => o!));
            cursor = (string?)page["nextCursor"];
        }
        while (cursor is not null);
        return outcomes;
    }

    /// <summary>The device's row in <c>GET /api/orgs/{org}/devices</c>, or null when it is not listed.</summary>
    public static async Task<JsonNode?> GetDeviceRowAsync(this ApiClient api, string orgId, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(api);
        var page = (await api.GetAsync($"/api/orgs/{orgId}/devices?limit=500")).Ok();
        return page["items"]!.AsArray().FirstOrDefault(d => (string?)d!["deviceId"] == deviceId);
    }

    /// <summary>
    /// Switches org TOTP and polls the org until <c>policyFanOut.complete</c>: the switch returns once the index shards
    /// stored it, and every device with MFA on takes it a moment later.
    /// </summary>
    public static async Task<JsonNode> SwitchTotpAsync(this ApiClient api, string orgId, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(api);
        var version = (long)(await api.PutAsync($"/api/orgs/{orgId}/mfa/totp", new { enabled })).Ok()["policyFanOut"]!["version"]!;
        return await Poll.UntilAsync(
            async () => (await api.GetAsync($"/api/orgs/{orgId}")).Ok(),
            o => (long)o["policyFanOut"]!["version"]! == version && (bool)o["policyFanOut"]!["complete"]!,
            $"org {orgId}: every device with MFA on took policy version {version}");
    }

    /// <summary>Polls the device detail until the agent has applied what it must enforce: <c>mfa.status</c> is <paramref name="status"/> and <c>appliedVersion == desiredVersion</c>.</summary>
    public static Task<JsonNode> WaitForMfaStatusAsync(this ApiClient api, string orgId, string deviceId, string status = "enabled") =>
        Poll.UntilAsync(
            () => api.GetDeviceAsync(orgId, deviceId),
            d => (string?)d["mfa"]!["status"] == status && (long)d["mfa"]!["appliedVersion"]! == (long)d["mfa"]!["desiredVersion"]!,
            $"device {orgId}/{deviceId} MFA {status} with appliedVersion == desiredVersion");

    /// <summary>
    /// The device's users once <paramref name="userId"/>'s TOTP status there is <paramref name="totpStatus"/>: a user's
    /// enrollment reaches its devices as a one-way update from the user's outbox, a moment after the user's call returned.
    /// </summary>
    public static Task<JsonArray> WaitForTotpStatusAsync(this ApiClient api, string orgId, string deviceId, string userId, string totpStatus) =>
        Poll.UntilAsync(
            () => api.GetDeviceUsersAsync(orgId, deviceId),
            users => users.Any(u => (string?)u!["userId"] == userId && (string?)u["totpStatus"] == totpStatus),
            $"user {userId} {totpStatus} on device {orgId}/{deviceId}");

    /// <summary>Polls <c>GET devices/{d}/users</c> until <paramref name="userId"/> is <paramref name="onDevice"/> there.</summary>
    public static Task<JsonArray> WaitForOnDeviceAsync(this ApiClient api, string orgId, string deviceId, string userId, string onDevice = "active") =>
        Poll.UntilAsync(
            () => api.GetDeviceUsersAsync(orgId, deviceId),
            users => users.Any(u => (string?)u!["userId"] == userId && (string?)u["onDevice"] == onDevice),
            $"user {userId} {onDevice} on device {orgId}/{deviceId}");

    /// <summary>
    /// Enrolls a device the way the agent does (<c>POST /api/agent/enroll</c>, no bearer key) with a fresh P-256 key,
    /// and returns the raw response; with <paramref name="tlsKey"/>, a signing request for it (<c>csr</c>) as well.
    /// </summary>
    public static Task<ApiResponse> EnrollAgentAsync(this ApiClient anonymous, string connectKey, string hostname, ECDsa? tlsKey = null)
    {
        ArgumentNullException.ThrowIfNull(anonymous);
        string publicKey;
        using (var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256))
        {
            publicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
        }

        var csr = tlsKey is null ? null : Convert.ToBase64String(new CertificateRequest("CN=device", tlsKey, HashAlgorithmName.SHA256).CreateSigningRequest());
        return anonymous.PostAsync("/api/agent/enroll", new { connectKey, hostname, os = "linux", osVersion = "debian 12", publicKey, csr });
    }

    /// <summary>
    /// <see cref="EnrollAgentAsync"/>, asserted to succeed; the device's identity and broker credential: the client
    /// certificate it was issued (<paramref name="withCertificate"/>, as the agent enrolls), else its password (a broker
    /// that takes passwords: the embedded broker's development listener).
    /// </summary>
    public static async Task<EnrolledDevice> EnrollDeviceAsync(this ApiClient anonymous, string connectKey, string hostname, bool withCertificate = true)
    {
        using var key = withCertificate ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        var enrolled = (await anonymous.EnrollAgentAsync(connectKey, hostname, key)).Ok();
        var mqtt = enrolled["mqtt"]!;
        Assert.Equal("127.0.0.1", (string?)mqtt["host"]);
        Assert.Equal("fleetmfa/v1", (string?)mqtt["topicPrefix"]);
        var (username, port) = ((string)mqtt["username"]!, (int)mqtt["port"]!);
        BrokerCredential credential;
        if (key is not null)
        {
            using var issued = X509Certificate2.CreateFromPem((string)mqtt["clientCertificate"]!["certificate"]!);
            credential = new BrokerCredential(username, port, null, TestCertificates.WithKey(issued, key));
        }
        else
        {
            credential = new BrokerCredential(username, port, (string)mqtt["password"]!, null);
        }

        return new EnrolledDevice((string)enrolled["orgId"]!, (string)enrolled["deviceId"]!, credential);
    }
}
