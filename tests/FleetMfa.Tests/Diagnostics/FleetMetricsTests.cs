using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text.Json;
using FleetMfa.Grains;
using FleetMfa.Grains.Diagnostics;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Diagnostics;

/// <summary>
/// The device grain's instruments, observed with a <see cref="MeterListener"/> on the in-process test silo: ack latency
/// is the grain clock's time from publishing a version to the report that applied it; presence moves the connected gauge.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FleetMetricsTests(ClusterFixture fixture) : IDisposable
{
    private readonly ConcurrentQueue<(string Instrument, double Value, string Tags)> _measurements = new();
    private readonly MeterListener _listener = new();

    [Fact]
    public async Task An_ack_is_counted_with_the_time_since_the_version_was_first_published()
    {
        Listen();
        var orgId = await fixture.Grains.NewOrgAsync(totpEnabled: true);
        var device = fixture.Grains.GetDevice(orgId, "web-01");
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var enrolled = await device.EnrollAgentAsync(new AgentEnrollment("web-01.example", DeviceOs.Linux, "Debian 13", key.ExportSubjectPublicKeyInfo(), SHA256.HashData("pw"u8)));
        var version = enrolled.Mfa.DesiredVersion;

        fixture.Time.Advance(TimeSpan.FromSeconds(7.25));
        await device.ReportAsync(Report(version));
        await device.ReportAsync(Report(version)); // the same version again is no second ack

        Assert.Single(_measurements, m => m.Instrument == "fleetmfa.desired.ack.duration" && m.Value == 7.25);
        Assert.Contains(_measurements, m => m.Instrument == "fleetmfa.desired.publishes" && m.Value == 1);
    }

    [Fact]
    public async Task Presence_moves_the_connected_agents_gauge_up_and_down()
    {
        Listen();
        var orgId = await fixture.Grains.NewOrgAsync();
        var device = fixture.Grains.GetDevice(orgId, "web-01");
        await fixture.Grains.RegisterLinuxAsync(orgId, "web-01");

        await device.SetPresenceAsync(true);
        await device.SetPresenceAsync(true);
        await device.SetPresenceAsync(false);

        var connected = _measurements.Where(m => m.Instrument == "fleetmfa.agents.connected").Select(m => m.Value).ToList();
        Assert.Equal(1, connected.Count(v => v == 1));
        Assert.Equal(1, connected.Count(v => v == -1));
    }

    public void Dispose() => _listener.Dispose();

    private void Listen()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == FleetMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var text = string.Join(',', tags.ToArray().Select(t => $"{t.Key}={t.Value}"));
        _measurements.Enqueue((instrument.Name, value, text));
    }

    private static byte[] Report(long appliedVersion) => JsonSerializer.SerializeToUtf8Bytes(
        new ReportedState(
            ReportedState.CurrentSchema,
            appliedVersion,
            null,
            null,
            new DeviceReport("web-01.example", "linux", "Debian 13", true, [], null, "1.0.0", 0),
            [],
            DateTimeOffset.UnixEpoch),
        ProtocolJsonContext.Default.ReportedState);
}
