using System.Diagnostics.Metrics;
using FleetMfa.Grains.Diagnostics;

namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// The embedded broker's instruments, on the <see cref="FleetMetrics.MeterName"/> meter. Prometheus name:
/// <c>fleetmfa_broker_dropped_total{reason}</c>: device messages the broker dropped before the bridge saw them,
/// <c>rate</c> for a device over its publish rate, <c>size</c> for a message over the size limit (its client is
/// disconnected too).
/// </summary>
public sealed class BrokerMetrics
{
    public const string RateReason = "rate";
    public const string SizeReason = "size";

    private readonly Counter<long> _dropped;

    public BrokerMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(FleetMetrics.MeterName);
        _dropped = meter.CreateCounter<long>("fleetmfa.broker.dropped", "{message}", "Device messages the embedded broker dropped: over the device's publish rate, or over the size limit.");
        _dropped.Add(0, new KeyValuePair<string, object?>("reason", RateReason));
        _dropped.Add(0, new KeyValuePair<string, object?>("reason", SizeReason));
    }

    public void Dropped(string reason) => _dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
