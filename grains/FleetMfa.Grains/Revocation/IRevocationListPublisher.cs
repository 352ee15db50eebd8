namespace FleetMfa.Grains.Revocation;

/// <summary>
/// Hands the revocation list to the broker (the host provides it: for Mosquitto, its CRL and the plugin's revoked file,
/// rewritten atomically, then a reload). Must be idempotent and must not return before the broker has been told: the
/// grain counts a revocation done only then.
/// </summary>
public interface IRevocationListPublisher
{
    Task PublishAsync(RevocationList list, CancellationToken cancellationToken);
}
