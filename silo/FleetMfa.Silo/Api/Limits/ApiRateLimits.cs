using System.Threading.RateLimiting;
using FleetMfa.Grains.Security;
using FleetMfa.Silo.Api.Auth;
using FleetMfa.Silo.Hosting;
using Microsoft.Extensions.Options;

namespace FleetMfa.Silo.Api.Limits;

/// <summary>
/// The limiters of <see cref="RateLimitOptions"/>, one set per silo: <see cref="Requests"/> (per client address, the
/// address's refused-authentication gate, then per key id — the order matters: a request the address limit refuses
/// creates no key partition), <see cref="Failures"/> (spent by every refused authentication) and
/// <see cref="MayAuditRefusal"/> (what of those reaches the audit trail). Idle partitions are dropped by the
/// limiters, so memory follows the live request rate, not the number of addresses or keys ever seen.
/// </summary>
public sealed class ApiRateLimits : IDisposable
{
    private readonly AdminKey _adminKey;
    private readonly PartitionedRateLimiter<string> _connectKeys;
    private readonly PartitionedRateLimiter<string> _refusalsByAddress;
    private readonly PartitionedRateLimiter<string> _refusalsByOrg;

    public ApiRateLimits(IOptions<RateLimitOptions> options, AdminKey adminKey)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        _adminKey = adminKey;
        var byAddress = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            RateLimitPartition.GetTokenBucketLimiter(ClientAddress.Of(context), _ => Bucket(o.AddressRequestsPerMinute, o.AddressBurst)));
        var byKey = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            KeyPartitionOf(context) is { } key
                ? RateLimitPartition.GetTokenBucketLimiter(key, _ => Bucket(o.KeyRequestsPerMinute, o.KeyBurst))
                : RateLimitPartition.GetNoLimiter(""));
        _connectKeys = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => Bucket(o.KeyRequestsPerMinute, o.KeyBurst)));
        Failures = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ => Bucket(o.FailuresPerMinute, o.FailureBurst)));
        Requests = PartitionedRateLimiter.CreateChained(byAddress, new FailureGate(Failures), byKey);
        _refusalsByAddress = PartitionedRateLimiter.Create<string, string>(a => RateLimitPartition.GetTokenBucketLimiter(a, _ => Bucket(o.AuditedRefusalsPerMinute, o.AuditedRefusalsPerMinute)));
        _refusalsByOrg = PartitionedRateLimiter.Create<string, string>(org => RateLimitPartition.GetTokenBucketLimiter(org, _ => Bucket(o.AuditedRefusalsPerMinute * 10, o.AuditedRefusalsPerMinute * 10)));
    }

    /// <summary>Every request to a limited area takes one permit (the middleware's global limiter).</summary>
    public PartitionedRateLimiter<HttpContext> Requests { get; }

    /// <summary>By client address; every refused authentication spends one.</summary>
    public PartitionedRateLimiter<string> Failures { get; }

    /// <summary>One permit of connect key <paramref name="keyId"/> (it travels in the body, so the middleware cannot see it).</summary>
    public RateLimitLease AcquireConnectKey(string keyId) => _connectKeys.AttemptAcquire(keyId);

    /// <summary>Whether a refusal from <paramref name="address"/> against <paramref name="orgId"/> may be written to the trail now.</summary>
    public bool MayAuditRefusal(string address, string orgId)
    {
        using var byAddress = _refusalsByAddress.AttemptAcquire(address);
        if (!byAddress.IsAcquired)
        {
            return false;
        }

        using var byOrg = _refusalsByOrg.AttemptAcquire(orgId);
        return byOrg.IsAcquired;
    }

    /// <summary>
    /// The key a request claims (not yet checked): <c>fmk:{keyId}</c> for an operator key, <c>admin</c> for the admin
    /// key, null for none or anything else (the address limit and the failure gate cover those).
    /// </summary>
    private string? KeyPartitionOf(HttpContext context)
    {
        if (AdminAreaMiddleware.KeyOf(context.Request) is not { } key)
        {
            return null;
        }

        if (ApiKeys.TryParseOrgKey(key, ApiKeys.OperatorPrefix, out _, out var keyId, out _))
        {
            return $"{ApiKeys.OperatorPrefix}:{keyId}";
        }

        return _adminKey.Matches(key) ? "admin" : null;
    }

    /// <summary>
    /// A bucket of <paramref name="burst"/> tokens refilled at <paramref name="perMinute"/>: in steps of at least
    /// 100 ms (the partitioned limiter's tick), each a whole number of tokens — 3,000 a minute is 5 every 100 ms,
    /// 10 a minute 1 every 6 s.
    /// </summary>
    private static TokenBucketRateLimiterOptions Bucket(int perMinute, int burst)
    {
        var tokens = (int)Math.Ceiling(perMinute / 600.0);
        return new()
        {
            TokenLimit = burst,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1) * tokens / perMinute,
            QueueLimit = 0,
        };
    }

    public void Dispose()
    {
        Requests.Dispose();
        Failures.Dispose();
        _connectKeys.Dispose();
        _refusalsByAddress.Dispose();
        _refusalsByOrg.Dispose();
    }
}
