namespace FleetMfa.Grains.Revocation;

/// <summary>The revocation list's decisions, on its state: what a revocation adds and when an entry may go.</summary>
public static class RevocationRules
{
    /// <summary>
    /// How long an entry stays after its certificate expired: a broker whose clock is behind the silo's still sees it as
    /// valid for that long, and must still find it revoked.
    /// </summary>
    public static readonly TimeSpan ExpiryMargin = TimeSpan.FromDays(1);

    /// <summary>
    /// Lists <paramref name="certificates"/> of <paramref name="username"/> that are not listed already; true when the
    /// list changed (its number then grows). A certificate past its expiry (and the margin) is not listed: no broker
    /// takes it any more.
    /// </summary>
    public static bool Revoke(CertificateRevocationState state, string username, IEnumerable<DeviceCertificate> certificates, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentNullException.ThrowIfNull(certificates);
        var changed = false;
        foreach (var certificate in certificates)
        {
            if (IsExpired(certificate.NotAfter, now) || state.Certificates.Exists(c => certificate.Is(c.Serial)))
            {
                continue;
            }

            state.Certificates.Add(new RevokedCertificate(certificate.Serial, username, certificate.NotAfter, now));
            changed = true;
        }

        return Changed(state, changed);
    }

    /// <summary>Drops the entries whose certificates expired (with the margin); true when the list changed.</summary>
    public static bool Prune(CertificateRevocationState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Changed(state, state.Certificates.RemoveAll(c => IsExpired(c.NotAfter, now)) > 0);
    }

    /// <summary>The list as the broker gets it.</summary>
    public static RevocationList List(CertificateRevocationState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new RevocationList(state.Number, [.. state.Certificates], now);
    }

    private static bool IsExpired(DateTimeOffset notAfter, DateTimeOffset now) => now >= notAfter + ExpiryMargin;

    private static bool Changed(CertificateRevocationState state, bool changed)
    {
        if (changed)
        {
            state.Number++;
        }

        return changed;
    }
}
