using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace FleetMfa.Silo.Hosting;

/// <summary>Answers "is Azure Table storage reachable?" for start-up (which refuses to run without it) and <c>/healthz</c>.</summary>
public sealed partial class StorageProbe(TableServiceClient tables, IOptions<StorageOptions> options, TimeProvider time, ILogger<StorageProbe> logger)
{
    private static readonly TimeSpan HealthCacheDuration = TimeSpan.FromSeconds(2);
    private (DateTimeOffset At, bool Reachable) _lastHealth;

    private string FirstGrainStateTable => StorageOptions.SpreadTables(options.Value.GrainStateTable)[0];

    /// <summary>Waits until storage answers (creating the first grain-state table) or the start-up timeout passes.</summary>
    public async Task<bool> WaitUntilReachableAsync(CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + options.Value.StartupTimeout;
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                await tables.GetTableClient(FirstGrainStateTable).CreateIfNotExistsAsync(cancellationToken);
                LogStorageReachable(logger, tables.Uri);
                return true;
            }
            catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or AggregateException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (time.GetUtcNow() + delay > deadline)
                {
                    LogStorageUnreachable(logger, tables.Uri, options.Value.StartupTimeout.TotalSeconds, ex.Message);
                    return false;
                }
            }

            await Task.Delay(delay, time, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
        }
    }

    public async Task<bool> IsReachableAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now - _lastHealth.At < HealthCacheDuration)
        {
            return _lastHealth.Reachable;
        }

        bool reachable;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await tables.GetTableClient(FirstGrainStateTable).QueryAsync<TableEntity>(maxPerPage: 1, select: ["PartitionKey"], cancellationToken: timeout.Token)
                .AsPages().GetAsyncEnumerator(timeout.Token).MoveNextAsync();
            reachable = true;
        }
        catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            reachable = false;
        }

        _lastHealth = (now, reachable);
        return reachable;
    }

    [LoggerMessage(100, LogLevel.Information, "Azure Table storage reachable at {Endpoint}")]
    private static partial void LogStorageReachable(ILogger logger, Uri endpoint);

    [LoggerMessage(101, LogLevel.Critical, "Azure Table storage at {Endpoint} is unreachable after {Seconds} s ({Reason}). The silo does not start without its storage: start Azurite (deploy/up.sh does) or set FLEETMFA_STORAGE to a reachable Azure Storage connection string.")]
    private static partial void LogStorageUnreachable(ILogger logger, Uri endpoint, double seconds, string reason);
}
