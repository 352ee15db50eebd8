using System.Diagnostics;
using System.Text.RegularExpressions;
using FleetMfa.EndToEnd.Infrastructure;
using MQTTnet;
using Xunit.Abstractions;

namespace FleetMfa.EndToEnd;

/// <summary>
/// Mosquitto's per-client message rate limit (deploy/mosquitto/plugin/fleetmfa_limits.c, loaded by the shipped config
/// at <see cref="Rate"/> messages/s, burst <see cref="Burst"/>): a device publishing far above it has the excess dropped
/// by the broker (PUBACK "not authorized") and stays connected, another device is not affected, the silo's bridge
/// account is exempt, the drops are counted in the broker log, and a bad limit keeps the broker from starting at all.
/// The devices here are accounts named as the silo names them (<c>{orgId}/{deviceId}</c>, same pattern ACL); the
/// bridge's reports are read by a client on the bridge account itself, so no silo runs (it would hold that session).
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed partial class MosquittoRateLimitTests(EndToEndFixture fixture, ITestOutputHelper output)
{
    // As deploy/mosquitto/fleetmfa.conf.template.
    private const int Rate = 10;
    private const int Burst = 50;

    // Messages that make it through inside a measured window besides rate × window + burst: the bucket's refill
    // between the clock reads and the first and last PUBACK.
    private const int Slack = 10;

    private static readonly TimeSpan FloodTime = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task A_device_far_above_the_rate_is_cut_to_it_and_stays_connected_while_a_device_at_a_normal_pace_gets_everything_through()
    {
        await using var broker = await MosquittoBroker.StartAsync(fixture.Workspace, "rate-limit");
        const string flooderName = "ratelimit/flooder";
        const string quietName = "ratelimit/quiet";
        await using var bridge = await broker.Account(MosquittoBroker.BridgeUsername).ConnectEventuallyAsync();
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await bridge.SubscribeAsync("fleetmfa/v1/+/+/reported"));
        await using var flooder = await broker.Account(flooderName).ConnectEventuallyAsync();
        await using var quiet = await broker.Account(quietName).ConnectEventuallyAsync();
        var flooderTopic = $"fleetmfa/v1/{flooderName}/reported";
        var quietTopic = $"fleetmfa/v1/{quietName}/reported";
        var marker = $"payload-{Guid.NewGuid():N}";
        var report = ReportJson.Bytes(ReportJson.Create(0, marker));

        var floodTask = FloodAsync(flooder, flooderTopic, report);
        var pacedTask = PacedAsync(quiet, quietTopic, report);
        var (sent, accepted, denied, window) = await floodTask;
        var quietSent = await pacedTask;

        // Everything the broker accepted reaches the bridge, and nothing else does.
        await Poll.UntilAsync(
            () => Task.FromResult(bridge.Received.Count(m => m.Topic == flooderTopic)),
            n => n >= accepted,
            $"the bridge receiving the {accepted} reports of the flooder the broker accepted",
            MqttProbe.MessageDeadline);
        await Poll.UntilAsync(
            () => Task.FromResult(bridge.Received.Count(m => m.Topic == quietTopic)),
            n => n == quietSent,
            $"the bridge receiving all {quietSent} reports of the device at a normal pace",
            MqttProbe.MessageDeadline);
        var flooderReceived = bridge.Received.Count(m => m.Topic == flooderTopic);
        var ceiling = (int)(Rate * window.TotalSeconds) + Burst + Slack;
        output.WriteLine(
            $"flooder: {sent} reports in {window.TotalSeconds:F2} s ({sent / window.TotalSeconds:F0}/s), {accepted} accepted, {denied} refused, " +
            $"{flooderReceived} received by the bridge (ceiling {ceiling}); the device at a normal pace: {quietSent} sent, all received");

        Assert.Equal(sent, accepted + denied);
        Assert.True(sent > 4 * ceiling, $"the flood sent only {sent} reports in {window.TotalSeconds:F2} s: not far above the rate");
        Assert.Equal(accepted, flooderReceived);
        Assert.InRange(flooderReceived, Burst, ceiling);
        Assert.True(await flooder.PingAsync(), "the flooding device was disconnected");

        // The broker counts the drops in its log (at most every ~10 s), naming the client but never a payload.
        var logged = await Poll.UntilAsync(
            () => Task.FromResult(DroppedLines().Matches(broker.Process.Output)),
            lines => lines.Sum(l => long.Parse(l.Groups["dropped"].Value, System.Globalization.CultureInfo.InvariantCulture)) >= denied,
            $"the broker log counting the {denied} dropped reports");
        Assert.Equal(denied, logged.Sum(l => long.Parse(l.Groups["dropped"].Value, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(logged, l => Assert.Equal(flooderName, l.Groups["worst"].Value));
        Assert.DoesNotContain(marker, broker.Process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_bridge_account_is_not_limited()
    {
        await using var broker = await MosquittoBroker.StartAsync(fixture.Workspace, "rate-limit-bridge");
        const string deviceName = "ratelimit/reader";
        await using var device = await broker.Account(deviceName).ConnectEventuallyAsync();
        var desired = $"fleetmfa/v1/{deviceName}/desired";
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await device.SubscribeAsync(desired));
        await using var bridge = await broker.Account(MosquittoBroker.BridgeUsername).ConnectEventuallyAsync();

        const int count = 500;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(MqttClientPublishReasonCode.Success, await bridge.PublishAsync(desired, System.Text.Encoding.UTF8.GetBytes($"{{\"version\":{i}}}")));
        }

        var published = clock.Elapsed;
        await Poll.UntilAsync(() => Task.FromResult(device.Received.Count(m => m.Topic == desired)), n => n == count, $"the device receiving all {count} desired states", MqttProbe.MessageDeadline);
        output.WriteLine($"the bridge published {count} desired states in {published.TotalSeconds:F2} s ({count / published.TotalSeconds:F0}/s); the device received all of them");
        Assert.True(count > Rate * published.TotalSeconds + Burst + Slack, $"{count} messages in {published.TotalSeconds:F2} s are within the limit anyway: the test shows nothing");
    }

    [Theory]
    [InlineData("plugin_opt_rate ten", "plugin_opt_rate \"ten\"")]
    [InlineData("plugin_opt_rate 0", "plugin_opt_rate \"0\"")]
    [InlineData("plugin_opt_rate -5", "plugin_opt_rate \"-5\"")]
    [InlineData("plugin_opt_burst 0", "plugin_opt_burst \"0\"")]
    [InlineData("plugin_opt_burst 2.5", "plugin_opt_burst \"2.5\"")]
    [InlineData("plugin_opt_rat 10", "unknown option plugin_opt_rat")]
    public async Task A_bad_limit_keeps_mosquitto_from_starting(string line, string expected)
    {
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(
            () => MosquittoBroker.StartAsync(fixture.Workspace, "rate-limit-bad", extraConfig: $"{line}\n"));

        Assert.Contains($"fleetmfa_limits: {expected}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("refusing to start", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>Publishes <paramref name="payload"/> back to back for <see cref="FloodTime"/>; counts the broker's PUBACKs.</summary>
    private static async Task<(int Sent, int Accepted, int Denied, TimeSpan Window)> FloodAsync(MqttProbe probe, string topic, byte[] payload)
    {
        var (sent, accepted, denied) = (0, 0, 0);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < FloodTime)
        {
            var result = await probe.PublishAsync(topic, payload);
            sent++;
            switch (result)
            {
                case MqttClientPublishReasonCode.Success:
                    accepted++;
                    break;
                case MqttClientPublishReasonCode.NotAuthorized:
                    denied++;
                    break;
                default:
                    Assert.Fail($"PUBACK {result} for report {sent} of the flood");
                    break;
            }
        }

        return (sent, accepted, denied, clock.Elapsed);
    }

    /// <summary>One report every <see cref="Pace"/> (well under the rate) for <see cref="FloodTime"/>; each must be accepted.</summary>
    private static async Task<int> PacedAsync(MqttProbe probe, string topic, byte[] payload)
    {
        var sent = 0;
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(Pace);
        do
        {
            Assert.Equal(MqttClientPublishReasonCode.Success, await probe.PublishAsync(topic, payload));
            sent++;
        }
        while (clock.Elapsed < FloodTime && await timer.WaitForNextTickAsync());

        return sent;
    }

    [GeneratedRegex(@"fleetmfa_limits: dropped (?<dropped>\d+) messages from \d+ clients over the rate limit \(10/s, burst 50\); most from (?<worst>\S+) \(\d+\)")]
    private static partial Regex DroppedLines();
}
