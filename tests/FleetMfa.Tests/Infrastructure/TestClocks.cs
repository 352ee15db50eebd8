using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// Hands a fixture's <see cref="FakeTimeProvider"/> to its in-process silos: TestCluster builds silo configurators from
/// a type, so the fixture registers its clock here and passes only the id through the cluster's configuration.
/// </summary>
public static class TestClocks
{
    /// <summary>A Monday morning, ten seconds into a 30-second TOTP step.</summary>
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 9, 0, 10, TimeSpan.Zero);

    private static readonly ConcurrentDictionary<string, FakeTimeProvider> _clocks = new();

    public static (string Id, FakeTimeProvider Clock) Create()
    {
        var id = Guid.NewGuid().ToString("N");
        var clock = new FakeTimeProvider(Start);
        _clocks[id] = clock;
        return (id, clock);
    }

    public static FakeTimeProvider Get(string id) =>
        _clocks.TryGetValue(id, out var clock) ? clock : throw new InvalidOperationException($"No test clock '{id}' is registered.");

    public static void Remove(string id) => _clocks.TryRemove(id, out _);
}
