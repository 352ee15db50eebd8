using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// A meter factory for one test and the sums of what its instruments recorded, by instrument name (a counter's total,
/// an up-down counter's current value). Meters from other factories — other tests running at the same time — are not
/// listened to.
/// </summary>
public sealed class MetricsRecorder : IDisposable
{
    private readonly OwnMeters _meters = new();
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new(StringComparer.Ordinal);

    public MetricsRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (_meters.Owns(instrument.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => _sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        _listener.Start();
    }

    public IMeterFactory Factory => _meters;

    public long Sum(string instrument) => _sums.GetValueOrDefault(instrument);

    public void Dispose()
    {
        _listener.Dispose();
        _meters.Dispose();
    }

    private sealed class OwnMeters : IMeterFactory
    {
        private readonly ConcurrentBag<Meter> _created = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _created.Add(meter);
            return meter;
        }

        public bool Owns(Meter meter) => _created.Contains(meter);

        public void Dispose()
        {
            foreach (var meter in _created)
            {
                meter.Dispose();
            }
        }
    }
}
