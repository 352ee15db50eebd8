using System.Threading.RateLimiting;

namespace FleetMfa.Silo.Api.Limits;

/// <summary>
/// A link of the request limiter chain that spends nothing: it lets a request through while its client address has a
/// whole refused-authentication token left in <paramref name="failures"/>, and refuses it (with the bucket's
/// Retry-After) once that address has spent them — so guessing keys costs far more than using one. The check is on
/// whole tokens: the bucket refills continuously, and a fraction of a token is not a failure the address may still have.
/// </summary>
internal sealed class FailureGate(PartitionedRateLimiter<string> failures) : PartitionedRateLimiter<HttpContext>
{
    /// <summary>Hands out the successful leases of the gate (ASP.NET Core's own limiter without a limit).</summary>
    private static readonly RateLimiter NoLimit = RateLimitPartition.GetNoLimiter(0).Factory(0);

    public override RateLimiterStatistics? GetStatistics(HttpContext resource) => null;

    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount)
    {
        var address = ClientAddress.Of(resource);
        if (failures.GetStatistics(address) is not { CurrentAvailablePermits: < 1 })
        {
            return NoLimit.AttemptAcquire(0);
        }

        // Less than one token: a request for one fails without spending anything and carries the Retry-After.
        // (Should the bucket reach a whole token in between, this spends it and lets the request through: a rare race
        // that costs the address one refusal it did not make, never one more than it may.)
        return failures.AttemptAcquire(address);
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(resource, permitCount));
}
