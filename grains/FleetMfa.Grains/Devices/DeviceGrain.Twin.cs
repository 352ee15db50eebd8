using System.Text.Json;
using FleetMfa.Grains.Audit;
using FleetMfa.Grains.Rules;
using FleetMfa.Grains.Security;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;
using FleetMfa.Protocol.Sealing;
using FleetMfa.Grains.Internal;
using Microsoft.Extensions.Logging;

namespace FleetMfa.Grains.Devices;

/// <summary>
/// The device twin: the desired state goes out (retained, QoS 1) after every change and again whenever the agent
/// reports it is behind; reports move the applied version and the status on. Only what the agent cannot re-send is
/// persisted — presence and the per-user secret versions it holds live in memory and come back with its next report.
/// </summary>
public sealed partial class DeviceGrain
{
    public const int MaxReportBytes = 64 * 1024;
    public const int MaxAuditBytes = 256 * 1024;
    /// <summary>A report that is behind right after a publish is usually the agent's connect report racing the retained message.</summary>
    private static readonly TimeSpan RepublishInterval = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan PublishRetryPeriod = TimeSpan.FromSeconds(15);

    /// <summary>How much older than the latest report taken a report may be and still count as one that arrived late.</summary>
    private static readonly TimeSpan StaleReportWindow = TimeSpan.FromMinutes(10);

    private readonly Dictionary<string, int> _reportedUsers = new(StringComparer.Ordinal);
    private bool _online;
    private (long Version, DateTimeOffset At) _lastPublish = (-1, DateTimeOffset.MinValue);
    private (long Version, DateTimeOffset At) _firstPublish = (-1, DateTimeOffset.MinValue);
    private long _ackMeasuredVersion = -1;
    private IGrainTimer? _publishRetry;

    public async Task<DeviceDetail> EnrollAgentAsync(AgentEnrollment enrollment)
    {
        ArgumentNullException.ThrowIfNull(enrollment);
        if (State.HasAgent)
        {
            throw new FleetMfaException(ErrorCodes.Conflict, $"Device '{_deviceId}' already has an agent.");
        }

        try
        {
            SecretSealer.ImportP256PublicKey(enrollment.PublicKey).Dispose();
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            throw FleetMfaException.Validation("publicKey must be a P-256 SubjectPublicKeyInfo, base64.");
        }

        if (enrollment.MqttPasswordHash is not { Length: 32 })
        {
            throw FleetMfaException.Validation("The MQTT password hash must be a SHA-256 digest.");
        }

        await ApplyRegistrationAsync(new DeviceRegistration(enrollment.Hostname, enrollment.Os, enrollment.OsVersion, null));
        State.PublicKey = enrollment.PublicKey;
        State.MqttPasswordHash = enrollment.MqttPasswordHash;
        BumpDesired(State.Required);
        await SaveAsync();
        LogAgentEnrolled(logger, _orgId, _deviceId);
        return Detail();
    }

    public Task<bool> IsMqttPasswordValidAsync(byte[] passwordHash) =>
        Task.FromResult(State.MqttPasswordHash is { } expected && passwordHash is not null && ApiKeys.HashesEqual(expected, passwordHash));

    public async Task ReportAsync(byte[] payload)
    {
        if (!State.HasAgent)
        {
            LogReportDropped(logger, _orgId, _deviceId, "the device has no enrolled agent");
            return;
        }

        if (ParseReport(payload) is not { } report)
        {
            return;
        }

        // With several silos a device's reports reach different bridges (an MQTT shared subscription spreads them
        // message by message), so they can arrive out of order: one older than a report already taken would move
        // the applied version back and leave the device "pending" for good. Far older means the agent's clock was
        // set back, and the report is taken.
        if (State.LastReportAt is { } last && report.At < last && last - report.At < StaleReportWindow)
        {
            LogReportDropped(logger, _orgId, _deviceId, "older than a report already taken (reports reached the silos out of order)");
            return;
        }

        State.LastReportAt = report.At;

        var statusBefore = State.Status;
        var persist = false;
        if (report.AppliedVersion != State.AppliedVersion)
        {
            if (report.AppliedVersion > State.AppliedVersion)
            {
                RecordAck(report.AppliedVersion);
            }

            State.AppliedVersion = report.AppliedVersion;
            persist = true;
        }

        var reason = report.FailedVersion == State.DesiredVersion ? report.Reason ?? "the agent could not apply the desired state" : null;
        if (reason != State.FailureReason)
        {
            State.FailureReason = reason;
            persist = true;
        }

        var problem = report.Enforcement is { Status: PolicyEnforcementStatus.NotEffective } p ? p.Detail : null;
        var repair = report.Enforcement is { Status: PolicyEnforcementStatus.Repaired } r ? r.Detail : null;
        if (problem != State.EnforcementProblem || repair != State.EnforcementRepair)
        {
            State.EnforcementProblem = problem;
            State.EnforcementRepair = repair;
            persist = true;
        }

        var facts = new DeviceFacts(
            report.Device.SshServerInstalled,
            [.. report.Device.AuthPlugins],
            report.Device.DisplayHeightPixels,
            report.Device.AgentVersion);
        if (!SameFacts(facts, State.Facts) || report.Device.OsVersion != State.OsVersion)
        {
            State.Facts = facts;
            State.OsVersion = report.Device.OsVersion;
            persist = true;
        }

        _reportedUsers.Clear();
        foreach (var user in report.Users)
        {
            _reportedUsers[user.UserId] = user.SecretVersion;
        }

        // Presence (and the broker's last will) alone decides "online": a late report must not revive a device that left.
        State.LastSeen = time.GetUtcNow();
        var watch = State.RolloutWatch;
        var settled = watch is null ? null : SettledStep(watch.Version);
        if (settled is not null)
        {
            State.RolloutWatch = null;
            persist = true;
        }

        if (persist)
        {
            await state.WriteOwnedStateAsync();
        }

        // The index before the rollout: once told, a rollout never asks this device again, so a crash in between must
        // leave the rollout waiting (its check re-indexes the device), never the index stale.
        await SyncIndexAsync();
        if (settled is not null)
        {
            // One-way: the rollout shard never holds up a report. Lost in a crash, the shard's check finds the same answer.
            await GrainFactory.GetRolloutShard(_orgId, watch!.RolloutId, watch.Shard).DeviceSettledAsync(_deviceId, settled);
        }

        if (State.Status != statusBefore)
        {
            LogStatusChanged(logger, _orgId, _deviceId, State.Status, State.AppliedVersion);
        }

        // Behind, and not because it refused this very version: the broker may have lost the retained message. Only a
        // report the agent sent well after the publish says so; one sent before it and delivered late (reports queue
        // behind a burst: 10,000 agents acknowledging at once) does not, and answering each of those with a publish
        // and so another report fed the queue (3.3 publishes per device in a 10,000-agent fan-out).
        var now = time.GetUtcNow();
        if (report.AppliedVersion < State.DesiredVersion && report.FailedVersion != State.DesiredVersion &&
            now - _lastPublish.At >= RepublishInterval && report.At - _lastPublish.At >= RepublishInterval)
        {
            await PublishDesiredAsync();
        }
    }

    public async Task SetPresenceAsync(bool online)
    {
        if (!State.Registered || _online == online)
        {
            return;
        }

        _online = online;
        if (online)
        {
            State.LastSeen = time.GetUtcNow();
            metrics.AgentConnected();
        }
        else
        {
            metrics.AgentDisconnected();
        }

        await SyncIndexAsync();
    }

    public async Task UploadAuditAsync(byte[] payload)
    {
        AuditEventBatch? batch = null;
        try
        {
            batch = payload is { Length: > 0 and <= MaxAuditBytes }
                ? JsonSerializer.Deserialize(payload, ProtocolJsonContext.Default.AuditEventBatch)
                : null;
        }
        catch (JsonException)
        {
        }

        if (!State.HasAgent || batch is null || batch.Schema != AuditEventBatch.CurrentSchema || batch.Events is null || batch.Events.Count > AuditEventBatch.MaxEvents)
        {
            LogAuditDropped(logger, _orgId, _deviceId, payload?.Length ?? 0);
            return;
        }

        var now = time.GetUtcNow();
        var entries = new List<AuditEntry>(batch.Events.Count);
        foreach (var e in batch.Events)
        {
            if (ToAuditEntry(e, now) is { } entry)
            {
                entries.Add(entry);
            }
        }

        // Stored before this call returns; a redelivered batch finds its records there and adds nothing.
        var added = entries.Count == 0 ? [] : await auditLog.AppendAsync(entries);
        foreach (var entry in added.Where(a => a.Action == AuditActions.Login))
        {
            metrics.Verified(entry.Outcome!, entry.Late);
        }

        metrics.AuditRecorded(AuditKind.Device, added.Count);
        LogAuditReceived(logger, _orgId, _deviceId, batch.Events.Count, added.Count, added.Count(e => e.Late), batch.Events.Count - entries.Count);
    }

    /// <summary>An agent's event as an audit record, or null (and dropped) when it is malformed or its time is implausible.</summary>
    private AuditEntry? ToAuditEntry(AuditEvent? e, DateTimeOffset received)
    {
        if (e is null || !IsEventId(e.Id) || e.At > received + AuditRules.MaxClockAhead || e.At < received - AuditRules.MaxAge ||
            (e.Detail is not null && (e.Detail.Length > AuditEvent.MaxDetailLength || e.Detail.Any(char.IsControl))))
        {
            return null;
        }

        return e.Action switch
        {
            null or AuditActions.Login => LoginEntry(e, received),
            AuditActions.PolicyDriftRepaired when e.Outcome == AuditOutcome.Repaired => PolicyEntry(e, received, "repaired"),
            AuditActions.PolicyDriftUnrepairable when e.Outcome == AuditOutcome.Unrepairable => PolicyEntry(e, received, "unrepairable"),
            _ => null,
        };
    }

    private AuditEntry? LoginEntry(AuditEvent e, DateTimeOffset received)
    {
        var outcome = e.Outcome switch
        {
            AuditOutcome.Accepted => "accepted",
            AuditOutcome.Rejected => "rejected",
            AuditOutcome.LockedOut => "locked-out",
            AuditOutcome.NotRequired => "not-required",
            _ => null,
        };
        if (outcome is null || e.LocalUsername is null || !InputRules.IsLocalUsername(e.LocalUsername) ||
            (e.UserId is not null && !Slug.IsValid(e.UserId)) || e.Detail is not null)
        {
            return null;
        }

        return new AuditEntry(
            _orgId,
            $"dev:{_deviceId}:{e.Id}",
            e.At,
            AuditKind.Device,
            $"device:{_deviceId}",
            ActorName: null,
            AuditActions.Login,
            e.UserId is null ? $"local-user:{e.LocalUsername}" : $"user:{e.UserId}",
            _deviceId,
            e.UserId,
            e.LocalUsername,
            outcome,
            Detail: null,
            AuditRules.IsLate(e.At, received),
            received);
    }

    /// <summary>The agent kept (or could not keep) the OS policy in force: the record names the device, and says what in <c>detail</c>.</summary>
    private AuditEntry? PolicyEntry(AuditEvent e, DateTimeOffset received, string outcome) =>
        e.LocalUsername is not null || e.UserId is not null || e.Detail is null
            ? null
            : new AuditEntry(
                _orgId,
                $"dev:{_deviceId}:{e.Id}",
                e.At,
                AuditKind.Device,
                $"device:{_deviceId}",
                ActorName: null,
                e.Action!,
                $"device:{_deviceId}",
                _deviceId,
                UserId: null,
                LocalUsername: null,
                outcome,
                e.Detail,
                AuditRules.IsLate(e.At, received),
                received);

    /// <summary>The agent's event ids are GUIDs; anything of letters, digits and '-' up to 64 is accepted.</summary>
    private static bool IsEventId(string? id) =>
        id is { Length: > 0 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    /// <summary>The agent applied a newer version: count the ack and, when this activation published it, its latency.</summary>
    private void RecordAck(long appliedVersion)
    {
        TimeSpan? latency = null;
        if (_firstPublish.Version >= 0 && appliedVersion >= _firstPublish.Version && _ackMeasuredVersion < _firstPublish.Version)
        {
            latency = time.GetUtcNow() - _firstPublish.At;
            _ackMeasuredVersion = _firstPublish.Version;
        }

        metrics.DesiredAcked(latency);
    }

    /// <summary>Builds and publishes the current desired state; a failure is retried by a timer until it goes through.</summary>
    private async Task PublishDesiredAsync()
    {
        if (!State.HasAgent)
        {
            return;
        }

        try
        {
            var desired = await BuildDesiredAsync();
            var payload = JsonSerializer.SerializeToUtf8Bytes(desired, ProtocolJsonContext.Default.DesiredState);
            var publishedAt = time.GetUtcNow();
            await publisher.PublishDesiredAsync(_orgId, _deviceId, payload, CancellationToken.None);
            metrics.DesiredPublished();
            if (desired.Version != _firstPublish.Version)
            {
                // Ack latency runs from the first publish of a version; re-publishes of it do not restart it.
                _firstPublish = (desired.Version, publishedAt);
            }

            _lastPublish = (desired.Version, time.GetUtcNow());
            _publishRetry?.Dispose();
            _publishRetry = null;
            LogDesiredPublished(logger, _orgId, _deviceId, desired.Version, desired.Mfa, desired.Users.Count);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPublishFailed(logger, _orgId, _deviceId, State.DesiredVersion, ex);
            _publishRetry ??= this.RegisterGrainTimer(_ => PublishDesiredAsync(), PublishRetryPeriod, PublishRetryPeriod);
        }
    }

    private async Task<DesiredState> BuildDesiredAsync()
    {
        var publicKey = State.PublicKey!;
        var candidates = State.Required
            ? State.Users.Where(u => u.Value.TotpStatus == TotpStatus.Enrolled).ToArray()
            : [];
        var sealedSecrets = await Task.WhenAll(candidates.Select(u => GrainFactory.GetUser(_orgId, u.Key).SealSecretForAsync(_deviceId, publicKey)));
        var users = new List<DesiredUser>(candidates.Length);
        for (var i = 0; i < candidates.Length; i++)
        {
            // null: the user reset since we last heard; that notification bumps the version again.
            if (sealedSecrets[i] is { } s)
            {
                users.Add(new DesiredUser(candidates[i].Key, candidates[i].Value.LocalUsername, s.SecretVersion, new SealedSecret(s.EphemeralKey, s.Nonce, s.Ciphertext)));
            }
        }

        var totp = (State.Policy ?? throw new InvalidOperationException("A registered device always has an org policy.")).Totp;
        var settings = State.Settings;
        return new DesiredState(
            DesiredState.CurrentSchema,
            _orgId,
            _deviceId,
            State.DesiredVersion,
            State.Required,
            new TotpSettings(totp.Digits, totp.PeriodSeconds, totp.Algorithm, totp.DriftSteps),
            new OsPolicy(
                new LinuxPolicy(settings.Linux.SshPasswordLogin, settings.Linux.SshPublicKeyAuth),
                new WindowsPolicy(settings.Windows.DisableAutomaticRestartSignOn, settings.Windows.SafeModeBlockNonAdmins),
                new MacPolicy(LoginWindowOnly: true)),
            users,
            time.GetUtcNow());
    }

    /// <summary>Parses and checks a report; anything malformed or impossible is logged and dropped.</summary>
    private ReportedState? ParseReport(byte[] payload)
    {
        string? problem = null;
        ReportedState? report = null;
        try
        {
            report = payload is { Length: > 0 and <= MaxReportBytes }
                ? JsonSerializer.Deserialize(payload, ProtocolJsonContext.Default.ReportedState)
                : null;
        }
        catch (JsonException ex)
        {
            problem = $"malformed JSON at {ex.Path ?? "$"}";
        }

        problem ??= report switch
        {
            null => "empty or oversized payload",
            { Schema: not ReportedState.CurrentSchema } => $"unsupported schema {report.Schema}",
            { AppliedVersion: < 0 } => "negative applied version",
            _ when report.AppliedVersion > State.DesiredVersion => $"applied version {report.AppliedVersion} was never issued",
            { FailedVersion: { } f } when f <= report.AppliedVersion || f > State.DesiredVersion => "impossible failed version",
            { Reason.Length: > ReportedState.MaxReasonLength } => "reason too long",
            { Enforcement: { } e } when e.Detail is not { Length: > 0 and <= AuditEvent.MaxDetailLength } || e.Detail.Any(char.IsControl) => "invalid policy enforcement",
            { Users.Count: > 10_000 } => "too many users",
            _ when report.Users.Any(u => !Ids.IsValid(u.UserId) || u.SecretVersion < 0) => "invalid user entry",
            _ when !IsSaneDeviceReport(report.Device) => "invalid device facts",
            _ => null,
        };
        if (problem is not null)
        {
            LogReportDropped(logger, _orgId, _deviceId, problem);
            return null;
        }

        return report;
    }

    private static bool IsSaneDeviceReport(DeviceReport device) =>
        device.OsVersion is { Length: > 0 and <= 64 } && !device.OsVersion.Any(char.IsControl) &&
        device.AgentVersion is { Length: > 0 and <= 64 } && !device.AgentVersion.Any(char.IsControl) &&
        device.AuthPlugins.Count <= 32 && device.AuthPlugins.All(p => p is { Length: > 0 and <= 200 } && !p.Any(char.IsControl)) &&
        device.DisplayHeightPixels is null or (>= 0 and <= 100_000);

    private static bool SameFacts(DeviceFacts a, DeviceFacts b) =>
        a.SshServerInstalled == b.SshServerInstalled && a.DisplayHeightPixels == b.DisplayHeightPixels &&
        a.AgentVersion == b.AgentVersion && a.AuthPlugins.SequenceEqual(b.AuthPlugins, StringComparer.Ordinal);
}
