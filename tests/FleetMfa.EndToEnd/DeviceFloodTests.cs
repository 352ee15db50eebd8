using System.Diagnostics;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Agents;
using FleetMfa.Testing.Fleet;
using MQTTnet;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace FleetMfa.EndToEnd;

/// <summary>
/// One device floods its own <c>reported</c> topic — <see cref="FloodRate"/> well-formed reports a second for
/// <see cref="FloodTime"/>, with its own credentials — while MFA is enabled on other devices of the org. The embedded
/// broker lets a device publish <c>FleetMfa:Mqtt:DevicePublishRate</c> messages a second after a burst and drops the
/// rest (<c>fleetmfa_broker_dropped_total{reason="rate"}</c>); what gets through, the bridge holds at most
/// <c>FleetMfa:Mqtt:IngestPerDevice</c> of at once (<c>fleetmfa_ingest_dropped_total</c>). So the flood cannot take
/// the bridge's workers and queue from the others: their acks are handled while it runs. The output compares how long
/// the others took with and without the flood.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class DeviceFloodTests(EndToEndFixture fixture, ITestOutputHelper output)
{
    private const int FloodRate = 5_000;
    private const int Devices = 20;
    private static readonly TimeSpan FloodTime = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_device_flooding_its_reports_is_capped_and_other_devices_acks_go_through_meanwhile()
    {
        await using var silo = await SiloProcess.StartAsync(fixture.NewSiloSettings("flood"));
        var org = await TestOrg.CreateAsync(silo.Api, TestIds.Unique("flood"));
        await org.EnrollUserAsync(silo.Api, "alice");
        await using var fleet = await AgentFleet.StartAsync(org, silo.Api, [silo.AgentAddress], Devices, "flood", "alice", TimeSpan.FromMinutes(2));
        await using var flooder = DeviceAgent.Create(fixture.Workspace, "flood-source");
        await flooder.EnrollOrFailAsync(silo.AgentAddress, org.ConnectKey);
        var credential = flooder.MqttCredential();
        var report = ReportJson.Bytes(ReportJson.Create(0, "flood"));

        var quiet = await EnableAllAsync(silo, org.OrgId, fleet.DeviceIds.Take(Devices / 2));

        await using var probe = await credential.ConnectEventuallyAsync();
        using var stop = new CancellationTokenSource(FloodTime);
        var flood = FloodAsync(probe, $"fleetmfa/v1/{org.OrgId}/{flooder.DeviceId}/reported", report, stop.Token);
        var loaded = await EnableAllAsync(silo, org.OrgId, fleet.DeviceIds.Skip(Devices / 2));
        var published = await flood;

        Assert.True(published > FloodRate, $"the flood published only {published} reports");

        // The broker lets through the burst (50) and the rate (10/s) of the flood's 10 s (+ slack for the time it takes
        // to read what is still in flight), and drops the rest.
        var allowed = 50 + (10 * (FloodTime.TotalSeconds + 10));
        var scrape = await Poll.UntilAsync(
            () => PrometheusText.ScrapeAsync(silo.Admin),
            s => published - s.Sum("fleetmfa_broker_dropped_total", "reason=\"rate\"") <= allowed,
            $"the broker dropping all but at most {allowed} of the flood's {published} reports");
        var throttled = scrape.Sum("fleetmfa_broker_dropped_total", "reason=\"rate\"");
        var dropped = scrape.Sum("fleetmfa_ingest_dropped_total");
        Assert.True(published - throttled >= 50, "the broker dropped part of the device's burst");
        Assert.True(probe.IsConnected, "a device over its rate is throttled, not disconnected");

        output.WriteLine(
            $"{Devices / 2} devices enabled MFA in {quiet.TotalSeconds:F2} s without the flood and {Devices / 2} in {loaded.TotalSeconds:F2} s " +
            $"while one device published {published} reports in {FloodTime.TotalSeconds:F0} s; the broker dropped {throttled} of them, the bridge {dropped}");
    }

    [Fact]
    public async Task A_device_publishing_a_message_over_the_size_limit_is_disconnected_and_the_message_dropped()
    {
        await using var silo = await SiloProcess.StartAsync(fixture.NewSiloSettings("oversize"));
        var org = await TestOrg.CreateAsync(silo.Api, TestIds.Unique("oversize"));
        await using var device = DeviceAgent.Create(fixture.Workspace, "oversize");
        await device.EnrollOrFailAsync(silo.AgentAddress, org.ConnectKey);
        await using var probe = await device.MqttCredential().ConnectEventuallyAsync();
        var topic = $"fleetmfa/v1/{org.OrgId}/{device.DeviceId}/reported";

        await probe.PublishAsync(topic, ReportJson.Bytes(ReportJson.Create(0, "fits")), qos: MqttQualityOfServiceLevel.AtMostOnce);
        await probe.PublishAsync(topic, new byte[(512 * 1024) + 1], qos: MqttQualityOfServiceLevel.AtMostOnce);

        await Poll.UntilAsync(() => !probe.IsConnected, "the broker disconnecting the device that sent 512 KiB + 1 byte");
        var scrape = await PrometheusText.ScrapeAsync(silo.Admin);
        Assert.Equal(1, scrape.Sum("fleetmfa_broker_dropped_total", "reason=\"size\""));
        Assert.Equal(0, scrape.Sum("fleetmfa_broker_dropped_total", "reason=\"rate\""));
    }

    /// <summary>Enables MFA on <paramref name="deviceIds"/> at once; how long until every one acknowledged it.</summary>
    private static async Task<TimeSpan> EnableAllAsync(SiloProcess silo, string orgId, IEnumerable<string> deviceIds)
    {
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(deviceIds.Select(async id =>
        {
            await silo.Admin.EnableMfaAsync(orgId, id);
            await silo.Admin.WaitForMfaStatusAsync(orgId, id, "enabled");
        }));
        return clock.Elapsed;
    }

    /// <summary>Publishes <paramref name="payload"/> at about <see cref="FloodRate"/> a second (QoS 0: nothing waits for the broker) until <paramref name="stop"/>.</summary>
    private static async Task<int> FloodAsync(MqttProbe probe, string topic, byte[] payload, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        var sent = 0;
        while (!stop.IsCancellationRequested)
        {
            var due = (int)(clock.Elapsed.TotalSeconds * FloodRate);
            for (; sent < due && !stop.IsCancellationRequested; sent++)
            {
                await probe.PublishAsync(topic, payload, qos: MqttQualityOfServiceLevel.AtMostOnce);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10), CancellationToken.None);
        }

        return sent;
    }
}
