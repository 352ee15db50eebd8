using System.Diagnostics.Metrics;
using FleetMfa.Grains.Diagnostics;

namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// The bridge's ingest instruments, on the <see cref="FleetMetrics.MeterName"/> meter. Prometheus names:
/// <c>fleetmfa_ingest_held</c> (messages a grain could not take yet, held unacknowledged on this silo) and
/// <c>fleetmfa_ingest_retries_total</c> (failed hand-overs tried again) and <c>fleetmfa_ingest_dropped_total{kind}</c>
/// (messages of a device that had its share of the bridge in flight already). A held count that stays above zero means
/// the broker is holding device messages for this silo: storage or the cluster is not answering; drops name a device
/// flooding its topics.
/// </summary>
public sealed class IngestMetrics
{
    private readonly UpDownCounter<long> _held;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _dropped;

    public IngestMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(FleetMetrics.MeterName);
        _held = meter.CreateUpDownCounter<long>("fleetmfa.ingest.held", "{message}", "MQTT messages no grain could take yet, held unacknowledged by the bridge.");
        _retries = meter.CreateCounter<long>("fleetmfa.ingest.retries", "{attempt}", "Failed hand-overs of an MQTT message to its grain, tried again.");
        _dropped = meter.CreateCounter<long>("fleetmfa.ingest.dropped", "{message}", "MQTT messages dropped because their device had its share of the bridge in flight, by topic kind.");
        _held.Add(0);
    }

    public void Held(int delta) => _held.Add(delta);

    public void Retried() => _retries.Add(1);

    public void Dropped(string kind) => _dropped.Add(1, new KeyValuePair<string, object?>("kind", kind));
}
