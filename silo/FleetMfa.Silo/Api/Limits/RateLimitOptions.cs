namespace FleetMfa.Silo.Api.Limits;

/// <summary>
/// Request limits of the admin API, the agent endpoints, the dashboard sign-in and the admin areas (section
/// <c>FleetMfa:RateLimits</c>; <c>FLEETMFA_RATE_LIMIT_ADDRESS</c>, <c>FLEETMFA_RATE_LIMIT_KEY</c> and
/// <c>FLEETMFA_RATE_LIMIT_FAILURES</c> set the three rates, per minute). Each limit is a token bucket: a burst, refilled at a rate.
/// </summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "FleetMfa:RateLimits";

    /// <summary>Requests per minute one client address may make (an IPv6 address counts by its /64). Default 3,000 (50 a second).</summary>
    public int AddressRequestsPerMinute { get; set; } = 3_000;

    /// <summary>Requests one client address may make at once before the rate applies. Default 200.</summary>
    public int AddressBurst { get; set; } = 200;

    /// <summary>Requests per minute with one key (the admin key, an operator key or a connect key, by its id). Default 1,200 (20 a second).</summary>
    public int KeyRequestsPerMinute { get; set; } = 1_200;

    /// <summary>Requests with one key at once before the rate applies. Default 100.</summary>
    public int KeyBurst { get; set; } = 100;

    /// <summary>
    /// Refused authentications per minute one client address may have; past them (and <see cref="FailureBurst"/>),
    /// every request of that address is refused with 429 until the bucket refills. Default 10.
    /// </summary>
    public int FailuresPerMinute { get; set; } = 10;

    /// <summary>Refused authentications one client address may have at once. Default 20.</summary>
    public int FailureBurst { get; set; } = 20;

    /// <summary>Refused authentications per minute written to the audit trail, per client address and per org; the rest are counted only. Default 6.</summary>
    public int AuditedRefusalsPerMinute { get; set; } = 6;

    /// <summary>How long a lookup that found no org is remembered before storage is asked again. Default 10 s.</summary>
    public TimeSpan UnknownOrgCacheTime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The reverse proxies or ingress controllers in front of the silo (<c>FLEETMFA_TRUSTED_PROXIES</c>: addresses and
    /// CIDR networks, separated by commas). A request from one of them counts under the client address the proxy
    /// appended to <c>X-Forwarded-For</c> (the last entry only); from anywhere else that header is ignored, so a client
    /// cannot choose the address it counts under. Empty (the default): every request counts under its peer's address —
    /// behind a proxy that is the proxy's, and one client's refused keys would then limit every client.
    /// </summary>
    public string TrustedProxies { get; set; } = "";

    /// <summary>The largest rate or burst taken (so that no arithmetic on them overflows).</summary>
    public const int MaxLimit = 10_000_000;

    /// <summary><see cref="TrustedProxies"/> parsed; false when an entry is neither an address nor a CIDR network.</summary>
    public bool TryParseTrustedProxies(out List<System.Net.IPAddress> addresses, out List<System.Net.IPNetwork> networks)
    {
        addresses = [];
        networks = [];
        foreach (var entry in TrustedProxies.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (entry.Contains('/', StringComparison.Ordinal) && System.Net.IPNetwork.TryParse(entry, out var network))
            {
                networks.Add(network);
            }
            else if (!entry.Contains('/', StringComparison.Ordinal) && System.Net.IPAddress.TryParse(entry, out var address))
            {
                addresses.Add(address);
            }
            else
            {
                return false;
            }
        }

        return true;
    }

    public bool IsValid() =>
        TryParseTrustedProxies(out _, out _) &&
        new[] { AddressRequestsPerMinute, AddressBurst, KeyRequestsPerMinute, KeyBurst, FailuresPerMinute, FailureBurst, AuditedRefusalsPerMinute }
            .All(limit => limit is > 0 and <= MaxLimit) &&
        UnknownOrgCacheTime > TimeSpan.Zero && UnknownOrgCacheTime <= TimeSpan.FromMinutes(5);
}
