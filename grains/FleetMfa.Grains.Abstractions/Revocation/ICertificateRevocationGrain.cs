namespace FleetMfa.Grains;

/// <summary>
/// The fleet's one list of revoked device certificates (key <see cref="Key"/>), for a broker that checks certificates
/// itself (Mosquitto: its CRL and the revoked file of deploy/mosquitto's plugin). The embedded broker asks each device
/// grain instead and needs no list. Stored before it is handed to the broker, and handed again on every activation and
/// every day (a CRL must be re-signed before its next update), so a broker file that was lost or went stale is rewritten.
/// </summary>
public interface ICertificateRevocationGrain : IGrainWithStringKey
{
    /// <summary>The grain's key: there is one list.</summary>
    public const string Key = "broker";

    /// <summary>
    /// Adds <paramref name="certificates"/> of the device <paramref name="username"/> to the list, stores it, and hands
    /// it to the broker; returns once the broker has it. Idempotent: a certificate listed already is not added twice,
    /// and the list is handed over again (a retry after a failed hand-over must reach the broker).
    /// </summary>
    Task RevokeAsync(string username, IReadOnlyList<DeviceCertificate> certificates);

    /// <summary>Hands the stored list to the broker again (re-signed, expired entries dropped): at a silo's start.</summary>
    Task PublishAsync();

    /// <summary>The list as stored.</summary>
    Task<RevocationList> GetAsync();
}
