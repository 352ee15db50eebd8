using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Fleet;
using MQTTnet;

namespace FleetMfa.EndToEnd;

/// <summary>
/// Whatever a device puts on its own <c>reported</c> topic, the silo takes only well-formed, possible reports: garbage
/// is logged and dropped, changes nothing on the device, and never stops the bridge (DESIGN §4, §8).
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class MqttBadInputTests(EndToEndFixture fixture)
{
    private const int MaxReportBytes = 64 * 1024;

    [Fact]
    public async Task Bad_reports_on_a_devices_own_topic_change_nothing_and_the_silo_keeps_handling_good_ones()
    {
        var silo = fixture.Silo;
        var admin = silo.Admin;
        var (org, _, connectKey) = await TestOrg.CreateAsync(silo.Api, TestIds.Unique("badinput"));
        await using var agent = DeviceAgent.Create(fixture.Workspace, "badinput-host");
        await agent.EnrollOrFailAsync(silo.AgentAddress, connectKey);
        var device = agent.DeviceId;
        agent.StartDaemon();
        await admin.EnableMfaAsync(org, device);
        await admin.WaitForMfaStatusAsync(org, device, "enabled");

        // The agent steps aside (it says "offline" on the way out) and the test speaks for the device with its credentials.
        Assert.Equal(0, await agent.StopDaemonAsync());
        var before = await Poll.UntilAsync(() => admin.GetDeviceAsync(org, device), d => !(bool)d["online"]!, "device offline after the agent stopped");
        var desiredVersion = (long)before["mfa"]!["desiredVersion"]!;
        var credential = agent.MqttCredential();
        var topic = $"fleetmfa/v1/{org}/{device}/reported";

        var bad = new (string Why, byte[] Payload)[]
        {
            ("malformed JSON", """{"schema":1,"appliedVersion":"""u8.ToArray()),
            ("not JSON at all", [0xff, 0xfe, 0x00, 0x01, 0x80]),
            ("empty", []),
            ("JSON null", "null"u8.ToArray()),
            ("an array", "[1,2,3]"u8.ToArray()),
            ("wrong schema", ReportJson.Bytes(ReportJson.Create(desiredVersion, "schema 2 report", schema: 2))),
            // A version ahead of the grain's up to 2^62 is adopted (DeviceTwin.TakeReport); beyond it, dropped.
            ("version out of range", ReportJson.Bytes(ReportJson.Create(long.MaxValue, "from the future"))),
            ("negative version", ReportJson.Bytes(ReportJson.Create(-1, "negative"))),
            ("unknown member", ReportJson.Bytes(WithExtraMember(ReportJson.Create(desiredVersion, "unknown member")))),
        };
        var oversized = Oversized(ReportJson.Create(0, "oversized report"));

        await using (var probe = await credential.ConnectEventuallyAsync())
        {
            // One at a time, each handled before the next: a burst beyond FleetMfa:Mqtt:IngestPerDevice would be capped
            // by the bridge (DeviceFloodTests) before its grain could drop it.
            var logged = Count(silo.Output, $"Device {org}/{device} report dropped:");
            foreach (var (why, payload) in bad)
            {
                Assert.Equal(MqttClientPublishReasonCode.Success, await probe.PublishAsync(topic, payload));
                var expected = ++logged;
                await Poll.UntilAsync(
                    () => Task.FromResult(Count(silo.Output, $"Device {org}/{device} report dropped:")),
                    count => count >= expected,
                    $"the {why} report dropped by the device grain");
            }

            var published = await probe.PublishAsync(topic, oversized);
            Assert.True(published is MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.PayloadFormatInvalid or MqttClientPublishReasonCode.QuotaExceeded, $"oversized: {published}");
        }

        // Each one is accounted for in the silo log: dropped by the device grain, or (oversized) by the bridge.
        await Poll.UntilAsync(
            () => Task.FromResult(Count(silo.Output, $"Device {org}/{device} report dropped:")),
            count => count >= bad.Length,
            $"{bad.Length} reports of {org}/{device} dropped in the silo log");
        await Poll.UntilAsync(
            () => Task.FromResult(silo.Output.Contains($"{topic} dropped: payload of {oversized.Length} bytes is too large", StringComparison.Ordinal)),
            dropped => dropped,
            "the oversized report dropped by the bridge");

        var after = await admin.GetDeviceAsync(org, device);
        Assert.True(JsonNode.DeepEquals(before, after), $"a bad report changed the device:\nbefore {before.ToJsonString()}\nafter  {after.ToJsonString()}");

        // The real agent's next report (on connect) is still handled: online again, seen later, MFA still enabled.
        agent.StartDaemon();
        var lastSeen = (DateTimeOffset)before["lastSeen"]!;
        var back = await Poll.UntilAsync(
            () => admin.GetDeviceAsync(org, device),
            d => (bool)d["online"]! && (DateTimeOffset)d["lastSeen"]! > lastSeen,
            "the agent's report after the bad ones handled");
        Assert.True(JsonNode.DeepEquals(before["mfa"], back["mfa"]), $"mfa changed: {back["mfa"]}");
        Assert.True(JsonNode.DeepEquals(before["facts"], back["facts"]), $"facts changed: {back["facts"]}");
        Assert.Equal(HttpStatusCode.OK, await silo.ProbeHealthAsync());
    }

    private static JsonObject WithExtraMember(JsonObject report)
    {
        report["device"]!["rootPassword"] = "hunter2";
        return report;
    }

    /// <summary>A report that is fine but for its size: padded with JSON whitespace to just over 64 KiB.</summary>
    private static byte[] Oversized(JsonObject report)
    {
        var json = report.ToJsonString();
        return Encoding.UTF8.GetBytes(json[..^1] + new string(' ', MaxReportBytes + 1 - json.Length + 1) + "}");
    }

    private static int Count(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
