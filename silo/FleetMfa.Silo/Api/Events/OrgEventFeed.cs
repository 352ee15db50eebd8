using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using FleetMfa.Grains;
using FleetMfa.Silo.Api.Responses;

namespace FleetMfa.Silo.Api.Events;

/// <summary>
/// The events of one stream. Every poll interval it re-reads grain state — the org summary (settings and counts over
/// the index shards), the watched page of device rows, the watched device and its users, the watched rollout — and
/// yields an event for each that differs from what it sent last. Reading grain state rather than in-process
/// notifications is what makes a stream served by one silo see an ack that another silo ingested.
/// </summary>
public sealed partial class OrgEventFeed(
    IGrainFactory grains,
    JsonSerializerOptions json,
    EventStreamOptions options,
    TimeProvider time,
    ILogger<OrgEventFeed> logger)
{
    public const string OrgEvent = "org";
    public const string DevicesEvent = "devices";
    public const string DeviceEvent = "device";
    public const string RolloutEvent = "rollout";
    public const string PingEvent = "ping";
    public const string ErrorEvent = "error";

    public async IAsyncEnumerable<SseItem<string>> ReadAsync(EventWatch watch, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(watch);
        var sent = new Dictionary<string, string>(StringComparer.Ordinal);
        var lastEventAt = time.GetUtcNow();
        LogStreamOpened(logger, watch.OrgId);
        while (!cancellationToken.IsCancellationRequested)
        {
            IReadOnlyList<(string Type, string Data)> snapshot;
            string? failure = null;
            try
            {
                snapshot = await SnapshotAsync(watch);
            }
            catch (FleetMfaException ex) when (ex.Code == ErrorCodes.NotFound)
            {
                snapshot = [];
                failure = JsonSerializer.Serialize(new { code = ex.Code, detail = ex.Message }, json);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A grain call that failed (a silo leaving, storage hiccup) is retried on the next tick.
                LogPollFailed(logger, watch.OrgId, ex.GetType().Name);
                snapshot = [];
            }

            if (failure is not null)
            {
                yield return new SseItem<string>(failure, ErrorEvent);
                yield break;
            }

            foreach (var (type, data) in snapshot)
            {
                if (!sent.TryGetValue(type, out var previous) || previous != data)
                {
                    sent[type] = data;
                    lastEventAt = time.GetUtcNow();
                    yield return new SseItem<string>(data, type);
                }
            }

            if (time.GetUtcNow() - lastEventAt >= options.KeepAliveInterval)
            {
                lastEventAt = time.GetUtcNow();
                yield return new SseItem<string>("{}", PingEvent);
            }

            if (!await WaitAsync(cancellationToken))
            {
                break;
            }
        }

        LogStreamClosed(logger, watch.OrgId);
    }

    private async Task<IReadOnlyList<(string Type, string Data)>> SnapshotAsync(EventWatch watch)
    {
        // Settings through the org's interleaving read and counts straight from the index shards: a stream never
        // queues behind (or holds up) the org grain's own turns.
        var settingsTask = grains.GetOrg(watch.OrgId).GetAsync();
        var countsTask = grains.GetDeviceDirectory(watch.OrgId).CountAsync();
        var pageTask = watch.Devices is { } query ? grains.GetDeviceDirectory(watch.OrgId).ListAsync(query) : null;
        var device = watch.DeviceId is { } deviceId ? grains.GetDevice(watch.OrgId, deviceId) : null;
        var detailTask = device?.GetAsync();
        var rolloutTask = watch.RolloutId is { } rolloutId ? grains.GetRollout(watch.OrgId, rolloutId).GetAsync() : null;

        var settings = await settingsTask ?? throw FleetMfaException.NotFound($"Org '{watch.OrgId}' does not exist.");
        var events = new List<(string, string)>(4)
        {
            (OrgEvent, JsonSerializer.Serialize(OrgResponse.From(settings, await countsTask), json)),
        };
        if (pageTask is not null)
        {
            events.Add((DevicesEvent, JsonSerializer.Serialize(await pageTask, json)));
        }

        if (detailTask is not null)
        {
            var detail = await detailTask;

            // Users only of a device that exists: reading them must not create one.
            var users = detail is null ? [] : await device!.GetUsersAsync();
            events.Add((DeviceEvent, JsonSerializer.Serialize(new { deviceId = watch.DeviceId, detail, users }, json)));
        }

        if (rolloutTask is not null)
        {
            // Counts and state only; the page reads the outcomes that need a look once the rollout is over.
            events.Add((RolloutEvent, await rolloutTask is { } rollout ? JsonSerializer.Serialize(RolloutResponse.From(rollout), json) : "null"));
        }

        return events;
    }

    /// <summary>Waits one poll interval; false when the client went away.</summary>
    private async Task<bool> WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(options.PollInterval, time, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
