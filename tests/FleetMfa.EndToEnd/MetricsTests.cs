using System.Net;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>
/// <c>/metrics</c>: OpenTelemetry metrics in the Prometheus text format, for the admin key only — FleetMfa's own
/// (connected agents, desired publishes, acks and their latency, verification outcomes, audit records), HTTP, Orleans
/// and the .NET runtime.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class MetricsTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task Metrics_are_for_the_admin_key_only()
    {
        var org = TestIds.Unique("metrics-keys");
        await fixture.Silo.Admin.CreateOrgAsync(org);
        var ops = fixture.Silo.WithKey(await fixture.Silo.Admin.CreateOperatorKeyAsync(org));

        var none = await fixture.Silo.Anonymous.GetAsync("/metrics");
        none.Problem(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Contains("Bearer", none.WwwAuthenticate, StringComparison.Ordinal);
        (await ops.GetAsync("/metrics")).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await fixture.Silo.WithKey("fma_" + new string('0', 64)).GetAsync("/metrics")).Problem(HttpStatusCode.Unauthorized, "unauthorized");

        var scrape = await fixture.Silo.Admin.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.Status);
        Assert.Equal("text/plain", scrape.MediaType);
    }

    [Fact]
    public async Task After_an_agent_flow_the_fleet_http_orleans_and_runtime_metrics_have_values()
    {
        var admin = fixture.Silo.Admin;
        var before = await ScrapeAsync();
        var flow = await AgentFlow.RunAsync(fixture.Silo, fixture.Workspace, "metrics");
        await using var agent = flow.Agent;
        Assert.Equal(0, await agent.VerifyAsync(flow.LocalUsername, Oathtool.Totp(flow.Secret)));
        Assert.Equal(1, await agent.VerifyAsync(flow.LocalUsername, Oathtool.WrongTotp(flow.Secret)));
        await Poll.UntilAsync(() => admin.ReadDeviceEventsAsync(flow.OrgId), e => e.Count == 2, "both logins in the audit trail");

        var after = await Poll.UntilAsync(
            ScrapeAsync,
            m => m.Sum("fleetmfa_verifications_total", "result=\"rejected\"") > before.Sum("fleetmfa_verifications_total", "result=\"rejected\""),
            "the rejected login counted in /metrics");

        Assert.True(after.Sum("fleetmfa_agents_connected") >= 1, "an agent is connected");
        Assert.True(after.Sum("fleetmfa_desired_publishes_total") > before.Sum("fleetmfa_desired_publishes_total"));
        Assert.True(after.Sum("fleetmfa_desired_acks_total") > before.Sum("fleetmfa_desired_acks_total"));
        Assert.True(after.Sum("fleetmfa_desired_ack_duration_seconds_count") > before.Sum("fleetmfa_desired_ack_duration_seconds_count"));
        Assert.True(after.Sum("fleetmfa_desired_ack_duration_seconds_sum") > 0);
        Assert.Contains(after.Values("fleetmfa_desired_ack_duration_seconds_bucket", "le=\"0.5\""), v => v >= 0);
        Assert.True(
            after.Sum("fleetmfa_verifications_total", "result=\"accepted\"", "late=\"false\"") >
            before.Sum("fleetmfa_verifications_total", "result=\"accepted\"", "late=\"false\""));
        Assert.True(after.Sum("fleetmfa_audit_records_total", "kind=\"device\"") >= 2);
        Assert.True(after.Sum("fleetmfa_audit_records_total", "kind=\"operator\"") > before.Sum("fleetmfa_audit_records_total", "kind=\"operator\""));

        Assert.True(after.Sum("http_server_request_duration_seconds_count") > 0, "HTTP server metrics");
        Assert.True(after.Sum("orleans_catalog_activations") > 0, "Orleans runtime metrics");
        Assert.True(after.Sum("orleans_app_requests_latency_milliseconds_count") > 0, "Orleans grain call metrics");
        Assert.True(after.Has("dotnet_gc_collections_total") || after.Has("dotnet_process_cpu_count"), ".NET runtime metrics");

        Assert.DoesNotContain(flow.Secret, after.Text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(fixture.Silo.AdminKey, after.Text, StringComparison.Ordinal);
    }

    private Task<PrometheusText> ScrapeAsync() => PrometheusText.ScrapeAsync(fixture.Silo.Admin);
}
