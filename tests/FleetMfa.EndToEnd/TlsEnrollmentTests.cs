using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.EndToEnd.Packaging;

namespace FleetMfa.EndToEnd;

/// <summary>
/// Enrollment is pinned (issue 16, item 3): the agent endpoint is HTTPS with a certificate from the silo's FleetMfa CA,
/// every connect key carries that CA's SHA-256, and the real agent enrolls only with a server the CA vouches for — never
/// over plain HTTP unless told <c>--insecure</c>, never with a key whose fingerprint is another CA's.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class TlsEnrollmentTests(EndToEndFixture fixture)
{
    private SiloProcess Silo => fixture.Silo;

    [Fact]
    public async Task An_agent_enrolls_over_https_with_a_key_that_pins_the_silos_CA_and_keeps_the_CA()
    {
        var org = TestIds.Unique("tls");
        await Silo.Admin.CreateOrgAsync(org);
        var (_, key) = await Silo.Admin.CreateConnectKeyAsync(org);
        var fingerprint = CaFingerprintOfSilo();
        Assert.Matches($"^fmc_[0-9a-f]{{16}}_[0-9a-f]{{64}}_{org}:sha256:{fingerprint}$", key);

        await using var agent = DeviceAgent.Create(fixture.Workspace, "tls-ok");
        var result = await agent.EnrollAsync(Silo.AgentAddress, key);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.DoesNotContain("warning", result.Output, StringComparison.Ordinal);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(agent.DataDirectory, "config.json")))!;
        Assert.Equal(fingerprint, (string?)config["serverCa"]?["sha256"]);
        using var pinned = X509CertificateLoader.LoadCertificate(Convert.FromBase64String((string)config["serverCa"]!["certificate"]!));
        Assert.Equal(fingerprint, Convert.ToHexStringLower(SHA256.HashData(pinned.RawData)));
    }

    [Fact]
    public async Task An_http_enroll_is_refused_without_insecure_and_plain_http_serves_no_agent_route()
    {
        var org = TestIds.Unique("tls-http");
        await Silo.Admin.CreateOrgAsync(org);
        var (_, key) = await Silo.Admin.CreateConnectKeyAsync(org);
        await using var agent = DeviceAgent.Create(fixture.Workspace, "tls-http");

        var refused = await agent.EnrollAsync(Silo.BaseAddress, key);

        Assert.True(refused.ExitCode == 2, refused.Output);
        Assert.Contains("plain http://", refused.Output, StringComparison.Ordinal);
        Assert.Contains("--insecure", refused.Output, StringComparison.Ordinal);
        AssertNotEnrolled(agent);

        // The admin port does not serve the agent routes at all (FLEETMFA_AGENT_PLAINTEXT is off by default): even
        // --insecure finds no enrollment there, and the key is not spent.
        var insecure = await agent.EnrollAsync(Silo.BaseAddress, key, insecure: true);
        Assert.True(insecure.ExitCode == 2, insecure.Output);
        Assert.Contains("development only", insecure.Output, StringComparison.Ordinal);
        Assert.Contains("(404)", insecure.Output, StringComparison.Ordinal);
        (await Silo.PlainHttp.EnrollAgentAsync(key, "plain")).Problem(HttpStatusCode.NotFound, "not-found");
        Assert.Equal(HttpStatusCode.NotFound, (await Silo.PlainHttp.GetAsync("/api/agent/ca")).Status);

        // ... and the agent listener serves nothing but the agent routes.
        using var healthz = await Silo.Agents.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, healthz.StatusCode);
        Assert.Empty((await Silo.Admin.GetAsync($"/api/orgs/{org}/devices")).Ok()["items"]!.AsArray());
    }

    [Fact]
    public async Task A_key_with_an_altered_or_missing_CA_fingerprint_is_refused_before_the_key_is_sent()
    {
        var org = TestIds.Unique("tls-pin");
        await Silo.Admin.CreateOrgAsync(org);
        var created = (await Silo.Admin.PostAsync($"/api/orgs/{org}/connect-keys", new { maxUses = 1 })).Ok(HttpStatusCode.Created);
        var key = (string)created["key"]!;
        var last = key[^1];
        var altered = key[..^1] + (last == '0' ? '1' : '0');
        var unpinned = key[..key.IndexOf(':', StringComparison.Ordinal)];
        await using var agent = DeviceAgent.Create(fixture.Workspace, "tls-pin");

        var mismatch = await agent.EnrollAsync(Silo.AgentAddress, altered);
        Assert.True(mismatch.ExitCode == 2, mismatch.Output);
        Assert.Contains("does not chain to the CA whose fingerprint the connect key carries", mismatch.Output, StringComparison.Ordinal);

        var old = await agent.EnrollAsync(Silo.AgentAddress, unpinned);
        Assert.True(old.ExitCode == 2, old.Output);
        Assert.Contains("carries no CA fingerprint", old.Output, StringComparison.Ordinal);
        Assert.Contains("--insecure", old.Output, StringComparison.Ordinal);

        // The control plane refuses a pin that is not its CA's too.
        (await Silo.Anonymous.EnrollAgentAsync(altered, "altered")).Problem(HttpStatusCode.Unauthorized, "unauthorized");

        // The single use of the key was never spent: the refusals happened before it left the device.
        AssertNotEnrolled(agent);
        var enrolled = await agent.EnrollAsync(Silo.AgentAddress, key);
        Assert.True(enrolled.ExitCode == 0, enrolled.Output);
    }

    [Fact]
    public async Task A_silo_with_another_CA_is_refused_and_insecure_plain_http_works_only_where_the_operator_allows_it()
    {
        var org = TestIds.Unique("tls-other");
        await Silo.Admin.CreateOrgAsync(org);
        var (_, key) = await Silo.Admin.CreateConnectKeyAsync(org);
        var settings = fixture.NewSiloSettings("other-ca") with
        {
            Environment = new Dictionary<string, string> { ["FLEETMFA_AGENT_PLAINTEXT"] = "true" },
        };
        await using var other = await SiloProcess.StartAsync(settings);
        Assert.NotEqual(CaFingerprintOfSilo(), CaFingerprint(other.CaFile));
        await using var agent = DeviceAgent.Create(fixture.Workspace, "tls-other");

        // A key of the first control plane, presented to a server with another CA (as a machine in the middle would be).
        var refused = await agent.EnrollAsync(other.AgentAddress, key);
        Assert.True(refused.ExitCode == 2, refused.Output);
        Assert.Contains("does not chain to the CA whose fingerprint the connect key carries", refused.Output, StringComparison.Ordinal);
        AssertNotEnrolled(agent);

        // Development: plain HTTP served on purpose, and an agent told --insecure, with a warning.
        var (_, otherKey) = await other.Admin.CreateConnectKeyAsync(org);
        var insecure = await agent.EnrollAsync(other.BaseAddress, otherKey, insecure: true);
        Assert.True(insecure.ExitCode == 0, insecure.Output);
        Assert.Contains("warning: --insecure is for development only", insecure.Output, StringComparison.Ordinal);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(agent.DataDirectory, "config.json")))!;
        Assert.Null(config["serverCa"]);
    }

    [Fact]
    public async Task Openssl_sees_TLS_1_2_or_later_and_a_certificate_issued_by_the_FleetMfa_CA()
    {
        var log = fixture.Workspace.NewDirectory("openssl");
        var connect = $"127.0.0.1:{Silo.AgentAddress.Port}";

        var verified = await Command.RunAsync(log, "openssl", ["s_client", "-connect", connect, "-servername", "localhost", "-CAfile", Silo.CaFile, "-verify_return_error", "-brief"]);
        var tls11 = await Command.RunAsync(log, "openssl", ["s_client", "-connect", connect, "-tls1_1"]);
        var chain = await Command.RunAsync(log, "openssl", ["s_client", "-connect", connect, "-servername", "localhost", "-showcerts"]);

        Assert.True(verified.ExitCode == 0, verified.Output);
        Assert.Matches("Protocol version: TLSv1\\.[23]", verified.Output);
        Assert.Contains("Verification: OK", verified.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, tls11.ExitCode);
        using var ca = X509Certificate2.CreateFromPemFile(Silo.CaFile);
        Assert.Contains("CN=FleetMfa CA", ca.Subject, StringComparison.Ordinal);
        Assert.Matches("(?m)^ *0 s:.*CN = localhost$", chain.Output);
        Assert.Matches("(?m)^ *i:.*CN = FleetMfa CA [0-9a-f]{8}$", chain.Output);
    }

    /// <summary>Refused before the store was touched: no enrollment in it.</summary>
    private static void AssertNotEnrolled(DeviceAgent agent) =>
        Assert.False(File.Exists(Path.Combine(agent.DataDirectory, "config.json")), "the agent stored an enrollment");

    private string CaFingerprintOfSilo() => CaFingerprint(Silo.CaFile);

    private static string CaFingerprint(string pemFile)
    {
        using var ca = X509Certificate2.CreateFromPemFile(pemFile);
        return Convert.ToHexStringLower(SHA256.HashData(ca.RawData));
    }
}
