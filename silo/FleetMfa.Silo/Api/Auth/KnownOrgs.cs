using System.Collections.Concurrent;
using FleetMfa.Grains;
using FleetMfa.Grains.Orgs;
using FleetMfa.Silo.Api.Limits;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace FleetMfa.Silo.Api.Auth;

/// <summary>
/// Which org ids exist, asked before a key is handed to its org's grain, so a key naming an org that does not exist is
/// refused without activating anything. Orgs are never deleted: an org found once is remembered for the silo's life
/// (added here as this silo creates one). A miss reads the org's stored state once — another silo of the cluster may
/// have created it — at most <see cref="MaxConcurrentLookups"/> at a time, and is remembered for
/// <see cref="RateLimitOptions.UnknownOrgCacheTime"/> (at most <see cref="MaxUnknown"/> of them). Nothing here ever
/// makes a miss a hit: an org is known only once storage has shown it created.
/// </summary>
public sealed class KnownOrgs(
    [FromKeyedServices(StorageNames.Fleet)] IGrainStorage storage,
    IGrainFactory grains,
    TimeProvider time,
    IOptions<RateLimitOptions> options) : IDisposable
{
    public const int MaxUnknown = 10_000;
    public const int MaxConcurrentLookups = 8;

    private readonly ConcurrentDictionary<string, bool> _known = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _unknown = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lookups = new(MaxConcurrentLookups);

    /// <summary>How many storage lookups this silo made (for tests and diagnostics).</summary>
    public long Lookups => Interlocked.Read(ref _lookupCount);

    private long _lookupCount;

    /// <summary>An org this silo has just created.</summary>
    public void Add(string orgId)
    {
        _known[orgId] = true;
        _unknown.TryRemove(orgId, out _);
    }

    public async ValueTask<bool> ExistsAsync(string orgId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(orgId);
        if (_known.ContainsKey(orgId))
        {
            return true;
        }

        if (_unknown.TryGetValue(orgId, out var until) && time.GetUtcNow() < until)
        {
            return false;
        }

        await _lookups.WaitAsync(cancellationToken);
        try
        {
            Interlocked.Increment(ref _lookupCount);
            if (await OrgRecords.IsCreatedAsync(storage, grains.GetOrg(orgId).GetGrainId()))
            {
                Add(orgId);
                return true;
            }
        }
        finally
        {
            _lookups.Release();
        }

        RememberUnknown(orgId);
        return false;
    }

    public void Dispose() => _lookups.Dispose();

    private void RememberUnknown(string orgId)
    {
        var now = time.GetUtcNow();
        if (_unknown.Count >= MaxUnknown)
        {
            foreach (var (id, until) in _unknown)
            {
                if (until <= now)
                {
                    _unknown.TryRemove(id, out _);
                }
            }
        }

        if (_unknown.Count < MaxUnknown)
        {
            _unknown[orgId] = now + options.Value.UnknownOrgCacheTime;
        }
    }
}
