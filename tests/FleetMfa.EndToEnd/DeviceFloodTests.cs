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
/// <see cref="FloodTime"/>, with its own credentials — while MFA is enabled on other devices of the org. The bridge
/// holds at most <c>FleetMfa:Mqtt:IngestPerDevice</c> messages of one device and drops the excess (counted in
/// <c>fleetmfa_ingest_dropped_total</c>), so the flood cannot take the bridge's workers and queue from the others:
/// their acks are handled while it runs. The output compares how long the others took with and without the flood.
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
        await using var fleet = await AgentFleet.StartAsync(org, silo.Api, [silo.BaseAddress], Devices, "flood", "alice", TimeSpan.FromMinutes(2));
        await using var flooder = DeviceAgent.Create(fixture.Workspace, "flood-source");
        await flooder.EnrollOrFailAsync(silo.BaseAddress, org.ConnectKey);
        var (username, password) = flooder.MqttCredentials();
        var report = ReportJson.Bytes(ReportJson.Create(0, "flood"));

        var quiet = await EnableAllAsync(silo, org.OrgId, fleet.DeviceIds.Take(Devices / 2));

        await using var probe = await MqttProbe.ConnectEventuallyAsync(silo.MqttPort, username, password);
        using var stop = new CancellationTokenSource(FloodTime);
        var flood = FloodAsync(probe, $"fleetmfa/v1/{org.OrgId}/{flooder.DeviceId}/reported", report, stop.Token);
        var loaded = await EnableAllAsync(silo, org.OrgId, fleet.DeviceIds.Skip(Devices / 2));
        var published = await flood;

        var scrape = await PrometheusText.ScrapeAsync(silo.Admin);
        var dropped = scrape.Sum("fleetmfa_ingest_dropped_total");
        Assert.True(published > FloodRate, $"the flood published only {published} reports");
        Assert.True(dropped > 0, "the bridge never capped the flooding device");
        Assert.True(probe.IsConnected || published > 0);

        output.WriteLine(
            $"{Devices / 2} devices enabled MFA in {quiet.TotalSeconds:F2} s without the flood and {Devices / 2} in {loaded.TotalSeconds:F2} s " +
            $"while one device published {published} reports in {FloodTime.TotalSeconds:F0} s; the bridge dropped {dropped} of them");
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
