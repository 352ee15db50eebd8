using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Network;

namespace FleetMfa.EndToEnd;

/// <summary>
/// Issue 17: the admin API, agent enrollment and the admin areas are rate-limited per client address and per key,
/// refused authentications cost far more than requests, and a refusal is a 429 <c>rate-limited</c> problem with
/// <c>Retry-After</c>. Each test runs a silo with low limits of its own and speaks from loopback addresses of its own.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class RateLimitTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task Past_its_burst_an_address_gets_429_rate_limited_with_Retry_After_and_another_address_does_not()
    {
        await using var silo = await StartAsync("ratelimit-address", new()
        {
            ["FleetMfa__RateLimits__AddressBurst"] = "20",
            ["FleetMfa__RateLimits__AddressRequestsPerMinute"] = "1",
        });
        var org = TestIds.Unique("rl");
        using var busy = LoopbackSource.Client(silo.BaseAddress, LoopbackSource.Address(3, 1));
        using var quiet = LoopbackSource.Client(silo.BaseAddress, LoopbackSource.Address(3, 2));
        (await SendAsync(quiet, HttpMethod.Put, $"/api/orgs/{org}", silo.AdminKey, """{"name":"RL"}""")).EnsureSuccessStatusCode();

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 40 && limited is null; i++)
        {
            var response = await SendAsync(busy, HttpMethod.Get, $"/api/orgs/{org}", silo.AdminKey);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
        }

        Assert.NotNull(limited);
        Assert.Equal(20, statuses.Count(s => s == HttpStatusCode.OK));
        await AssertRateLimitedAsync(limited);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(quiet, HttpMethod.Get, $"/api/orgs/{org}", silo.AdminKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await busy.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(busy, HttpMethod.Get, "/metrics", silo.AdminKey)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(busy, HttpMethod.Get, "/openapi/v1.json", silo.AdminKey)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(busy, HttpMethod.Post, "/api/agent/enroll", key: null, """{}""")).StatusCode);
    }

    [Fact]
    public async Task An_address_that_keeps_failing_authentication_is_refused_before_its_keys_are_looked_at()
    {
        await using var silo = await StartAsync("ratelimit-failures", new()
        {
            ["FleetMfa__RateLimits__FailureBurst"] = "5",
            ["FleetMfa__RateLimits__FailuresPerMinute"] = "1",
        });
        var org = TestIds.Unique("rlfail");
        using var guesser = LoopbackSource.Client(silo.BaseAddress, LoopbackSource.Address(4, 1));
        using var operatorClient = LoopbackSource.Client(silo.BaseAddress, LoopbackSource.Address(4, 2));
        (await SendAsync(operatorClient, HttpMethod.Put, $"/api/orgs/{org}", silo.AdminKey, """{"name":"RL"}""")).EnsureSuccessStatusCode();
        var key = await silo.Admin.CreateOperatorKeyAsync(org);
        var wrong = string.Join('_', key.Split('_')[0], key.Split('_')[1], new string('1', 64), org);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(guesser, HttpMethod.Get, $"/api/orgs/{org}", wrong)).StatusCode);
        }

        // Spent: now even the right key from that address is refused, and so is a connect-key guess.
        var refused = await SendAsync(guesser, HttpMethod.Get, $"/api/orgs/{org}", key);
        await AssertRateLimitedAsync(refused);
        Assert.InRange(int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(guesser, HttpMethod.Post, "/api/agent/enroll", key: null, """{}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(operatorClient, HttpMethod.Get, $"/api/orgs/{org}", key)).StatusCode);
        var metrics = await Poll.UntilAsync(
            () => PrometheusText.ScrapeAsync(silo.Admin),
            m => m.Sum("fleetmfa_rate_limited_requests_total") >= 2 && m.Sum("fleetmfa_auth_refusals_total", "credential=\"operator-key\"") >= 5,
            "the refusals and the 429s counted in /metrics");
        Assert.Equal(5, metrics.Sum("fleetmfa_auth_refusals_total", "credential=\"operator-key\""));
    }

    [Fact]
    public async Task A_key_past_its_burst_is_limited_from_every_address_and_other_keys_are_not()
    {
        await using var silo = await StartAsync("ratelimit-key", new()
        {
            ["FleetMfa__RateLimits__KeyBurst"] = "10",
            ["FleetMfa__RateLimits__KeyRequestsPerMinute"] = "1",
        });
        var org = TestIds.Unique("rlkey");
        await silo.Admin.CreateOrgAsync(org);
        var busyKey = await silo.Admin.CreateOperatorKeyAsync(org, "busy");
        var otherKey = await silo.Admin.CreateOperatorKeyAsync(org, "other");
        using var first = LoopbackSource.Client(silo.BaseAddress, LoopbackSource.Address(5, 1));
        using var second = LoopbackSource.Client(silo.BaseAddress, LoopbackSource.Address(5, 2));

        var answered = 0;
        while (answered < 30 && (await SendAsync(first, HttpMethod.Get, $"/api/orgs/{org}", busyKey)).StatusCode == HttpStatusCode.OK)
        {
            answered++;
        }

        Assert.Equal(10, answered);
        await AssertRateLimitedAsync(await SendAsync(second, HttpMethod.Get, $"/api/orgs/{org}", busyKey));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(first, HttpMethod.Get, $"/api/orgs/{org}", otherKey)).StatusCode);

        // Connect keys travel in the body; they are limited per key too.
        var (_, connectKey) = await silo.Admin.CreateConnectKeyAsync(org);
        var enrolled = 0;
        while (enrolled < 30 && (await silo.Anonymous.EnrollAgentAsync(connectKey, $"host-{enrolled}")).Status == HttpStatusCode.OK)
        {
            enrolled++;
        }

        Assert.Equal(10, enrolled);
        (await silo.Anonymous.EnrollAgentAsync(connectKey, "one-more")).Problem(HttpStatusCode.TooManyRequests, "rate-limited");
    }

    [Fact]
    public async Task Refusals_past_the_audit_limit_are_counted_but_do_not_flood_the_trail()
    {
        await using var silo = await StartAsync("ratelimit-audit", new() { ["FleetMfa__RateLimits__AuditedRefusalsPerMinute"] = "3" });
        var org = TestIds.Unique("rlaudit");
        await silo.Admin.CreateOrgAsync(org);
        var key = await silo.Admin.CreateOperatorKeyAsync(org);
        var parts = key.Split('_');
        using var guesser = LoopbackSource.Client(silo.BaseAddress, LoopbackSource.Address(8, 1));

        for (var i = 0; i < 12; i++)
        {
            var wrong = string.Join('_', parts[0], parts[1], Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), org);
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(guesser, HttpMethod.Get, $"/api/orgs/{org}/devices", wrong)).StatusCode);
        }

        await Poll.UntilAsync(
            () => PrometheusText.ScrapeAsync(silo.Admin),
            m => m.Sum("fleetmfa_auth_refusals_total", "credential=\"operator-key\"") >= 12,
            "all twelve refusals counted in /metrics");
        var recorded = (await silo.Admin.ReadAuditAsync(org)).Where(r => (string?)r["action"] == "authenticate").ToList();
        // Three at once, and one more each 20 s (3 a minute) should the box be slow enough for the loop to take that long.
        Assert.InRange(recorded.Count, 3, 4);
        Assert.All(recorded, r => Assert.Contains("from 127.0.8.1", (string?)r["detail"], StringComparison.Ordinal));
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_clients_count_by_X_Forwarded_For_and_from_anywhere_else_the_header_is_ignored()
    {
        await using var silo = await StartAsync("ratelimit-proxy", new()
        {
            ["FLEETMFA_TRUSTED_PROXIES"] = "127.0.9.1, 10.99.0.0/16",
            ["FleetMfa__RateLimits__FailureBurst"] = "3",
            ["FleetMfa__RateLimits__FailuresPerMinute"] = "1",
        });
        var org = TestIds.Unique("rlproxy");
        await silo.Admin.CreateOrgAsync(org);
        var key = await silo.Admin.CreateOperatorKeyAsync(org);
        var parts = key.Split('_');
        string Wrong() => string.Join('_', parts[0], parts[1], Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), org);
        using var proxy = LoopbackSource.Client(silo.BaseAddress, LoopbackSource.Address(9, 1));
        using var direct = LoopbackSource.Client(silo.BaseAddress, LoopbackSource.Address(9, 2));

        // Through the proxy: one client spends its failures and is limited, another client is not.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(proxy, HttpMethod.Get, $"/api/orgs/{org}", Wrong(), forwardedFor: "203.0.113.5")).StatusCode);
        }

        await AssertRateLimitedAsync(await SendAsync(proxy, HttpMethod.Get, $"/api/orgs/{org}", key, forwardedFor: "203.0.113.5"));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(proxy, HttpMethod.Get, $"/api/orgs/{org}", key, forwardedFor: "203.0.113.6")).StatusCode);

        // Only the entry the proxy appended counts: one the client put in front of it does not help.
        await AssertRateLimitedAsync(await SendAsync(proxy, HttpMethod.Get, $"/api/orgs/{org}", key, forwardedFor: "203.0.113.77, 203.0.113.5"));

        // Not from the proxy: the header is the client's own word and is ignored; the client counts by its address.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(direct, HttpMethod.Get, $"/api/orgs/{org}", Wrong(), forwardedFor: $"198.51.100.{i}")).StatusCode);
        }

        await AssertRateLimitedAsync(await SendAsync(direct, HttpMethod.Get, $"/api/orgs/{org}", key, forwardedFor: "198.51.100.200"));

        var refused = (await silo.Admin.ReadAuditAsync(org)).Where(r => (string?)r["action"] == "authenticate").Select(r => (string?)r["detail"]).ToList();
        Assert.Contains(refused, d => d!.EndsWith("from 203.0.113.5", StringComparison.Ordinal));
        Assert.Contains(refused, d => d!.EndsWith("from 127.0.9.2", StringComparison.Ordinal));
        Assert.DoesNotContain(refused, d => d!.Contains("198.51.100.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_trusted_proxy_that_is_not_an_address_or_network_stops_the_silo_with_exit_code_2()
    {
        var settings = fixture.NewSiloSettings("ratelimit-badproxy") with { Environment = new Dictionary<string, string> { ["FLEETMFA_TRUSTED_PROXIES"] = "10.0.0.1, proxy.example" } };
        await using var silo = SiloProcess.Launch(settings);

        Assert.Equal(2, await silo.Process.WaitForExitAsync(TimeSpan.FromSeconds(45)));
        Assert.Contains(silo.Output.Split('\n'), line => line.Contains("FLEETMFA_TRUSTED_PROXIES", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_rate_limit_that_is_not_positive_stops_the_silo_with_exit_code_2()
    {
        var settings = fixture.NewSiloSettings("ratelimit-bad") with { Environment = new Dictionary<string, string> { ["FLEETMFA_RATE_LIMIT_FAILURES"] = "0" } };
        await using var silo = SiloProcess.Launch(settings);

        Assert.Equal(2, await silo.Process.WaitForExitAsync(TimeSpan.FromSeconds(45)));
        Assert.Contains(silo.Output.Split('\n'), line => line.Contains("FLEETMFA_RATE_LIMIT_", StringComparison.Ordinal));
    }

    private Task<SiloProcess> StartAsync(string name, Dictionary<string, string> limits) =>
        SiloProcess.StartAsync(fixture.NewSiloSettings(name) with { Environment = limits });

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string? key, string? json = null, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static async Task AssertRateLimitedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"expected 429, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!;
        Assert.Equal(("rate-limited", 429), ((string?)problem["code"], (int?)problem["status"]));
        Assert.False(string.IsNullOrWhiteSpace((string?)problem["title"]));
        Assert.True(response.Headers.TryGetValues("Retry-After", out var retryAfter), "no Retry-After header");
        Assert.True(int.TryParse(retryAfter.Single(), out var seconds) && seconds >= 1, $"Retry-After: {retryAfter.Single()}");
    }
}
