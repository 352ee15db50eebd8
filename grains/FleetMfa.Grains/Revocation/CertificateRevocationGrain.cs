using FleetMfa.Grains.Internal;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;

namespace FleetMfa.Grains.Revocation;

/// <summary>
/// The fleet's list of revoked device certificates for a broker that checks them itself. A change is stored before the
/// broker is told (<see cref="StateUpdates"/>): a failed write changes nothing and a failed hand-over is an error the
/// caller retries (the device grain's outbox), so a revocation is never reported done while the broker still takes the
/// certificate. One activation serialises every writer of the broker's files across the cluster.
/// </summary>
public sealed partial class CertificateRevocationGrain(
    [PersistentState("certificateRevocation", StorageNames.Fleet)] IPersistentState<CertificateRevocationState> state,
    DeepCopier<CertificateRevocationState> copier,
    IRevocationListPublisher publisher,
    ILogger<CertificateRevocationGrain> logger,
    TimeProvider time) : Grain, ICertificateRevocationGrain, IRemindable
{
    internal const string RefreshReminder = "revocation-refresh";

    /// <summary>How often the list is handed over again: well inside a CRL's validity, so one missed tick does not expire it.</summary>
    internal static readonly TimeSpan RefreshPeriod = TimeSpan.FromHours(12);

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        await this.RegisterOrUpdateReminder(RefreshReminder, RefreshPeriod, RefreshPeriod, cancellationToken);

    public async Task RevokeAsync(string username, IReadOnlyList<DeviceCertificate> certificates)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentNullException.ThrowIfNull(certificates);
        var now = time.GetUtcNow();
        if (await state.UpdateAsync(copier, s => RevocationRules.Revoke(s, username, certificates, now) ? s : null) is not null)
        {
            LogRevoked(logger, username, certificates.Count, state.State.Number);
        }

        await PublishStoredAsync(now);
    }

    public async Task PublishAsync()
    {
        var now = time.GetUtcNow();
        await state.UpdateAsync(copier, s => RevocationRules.Prune(s, now) ? s : null);
        await PublishStoredAsync(now);
    }

    public Task<RevocationList> GetAsync() => Task.FromResult(RevocationRules.List(state.State, time.GetUtcNow()));

    public Task ReceiveReminder(string reminderName, TickStatus status) => PublishAsync();

    private async Task PublishStoredAsync(DateTimeOffset now)
    {
        var list = RevocationRules.List(state.State, now);
        await publisher.PublishAsync(list, CancellationToken.None);
        LogPublished(logger, list.Number, list.Certificates.Count);
    }

    [LoggerMessage(1600, LogLevel.Information, "Certificates of {Username} revoked ({Count} named; revocation list {Number})")]
    private static partial void LogRevoked(ILogger logger, string username, int count, long number);

    [LoggerMessage(1601, LogLevel.Debug, "Revocation list {Number} handed to the broker ({Count} certificates)")]
    private static partial void LogPublished(ILogger logger, long number, int count);
}
