using System.Buffers;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FleetMfa.Agent.Enrollment;
using FleetMfa.Agent.Platform;
using FleetMfa.Agent.Store;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;
using FleetMfa.Protocol.Signing;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace FleetMfa.Agent.Daemon;

/// <summary>
/// The agent daemon: one persistent MQTT 5 session to the device's broker, the retained desired state applied as
/// it arrives when it is signed with the key pinned at enrollment, for this device and not older than the applied one
/// (anything else changes nothing and is counted, logged and audited as <c>untrusted-desired-state</c>), a report after every apply and on every (re)connect, the audit queue uploaded while connected, and
/// reconnects with capped exponential back-off (with jitter) forever.
/// </summary>
public sealed partial class AgentDaemon : IAsyncDisposable
{
    public const int MaxDesiredPayloadBytes = 256 * 1024;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan AuditInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long after a failed certificate renewal the daemon tries again.</summary>
    public static readonly TimeSpan RenewalRetry = TimeSpan.FromMinutes(10);

    /// <summary>A report this often even when nothing changed, so a control plane that lost a publish catches up.</summary>
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMinutes(5);
    private static readonly string AgentVersion =
        typeof(AgentDaemon).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private readonly AgentStore _store;
    private AgentConfig _config;
    private readonly IPlatform _platform;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Topics _topics;
    private readonly CachedSecretStore _secrets;
    private readonly VerifyServer _verifyServer;
    private readonly AgentDaemonOptions _options;
    private readonly IdleMemoryTrim? _trim;
    private readonly IMqttClient _client;
    private readonly PolicyWatch _policyWatch;
    private readonly AuditUploads _auditUploads;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>What the last policy check found, reported with every state until a newer version is applied; null: in effect.</summary>
    private PolicyEnforcement? _enforcement;
    private DateTimeOffset _lastReport = DateTimeOffset.MinValue;
    private DateTimeOffset _nextRenewal = DateTimeOffset.MinValue;
    private volatile bool _stopping;

    /// <summary>Cancelled once the device is decommissioned and wiped: the daemon stops on its own.</summary>
    private readonly CancellationTokenSource _wiped = new();

    /// <summary>
    /// A decommission waiting for the login records still queued to be receipted (or for its deadline) before the wipe
    /// deletes them with the store; read and written under the gate.
    /// </summary>
    private (long Version, DateTimeOffset Deadline)? _pendingWipe;

    /// <summary>How long a decommission waits at most for the queued login records to reach the audit trail before it wipes.</summary>
    public static readonly TimeSpan WipeFlushLimit = TimeSpan.FromSeconds(10);

    /// <summary>How many <c>untrusted-desired-state</c> audit events the daemon queues at most in a minute.</summary>
    public const int MaxUntrustedEventsPerMinute = 10;

    /// <summary>Opens desired states with the pinned key; replaced (under <see cref="_gate"/>) when a rotation moves the pin.</summary>
    private DesiredStateVerifier _verifier;
    private long _untrustedTotal;
    private DateTimeOffset _untrustedWindowStart = DateTimeOffset.MinValue;
    private int _untrustedInWindow;
    private long _untrustedNotRecorded;

    // The device key is needed only to open a new desired state: loaded on the first one, not before subscribing.
    private ECDiffieHellman? _identity;
    private DesiredStateApplier? _applier;

    /// <summary>A daemon over the enrolled <paramref name="store"/>; <paramref name="options"/> default to a device's (<see cref="AgentDaemonOptions"/>).</summary>
    public AgentDaemon(AgentStore store, AgentConfig config, IPlatform platform, TimeProvider time, TextWriter output, AgentDaemonOptions? options = null)
    {
        _options = options ?? new AgentDaemonOptions();
        _trim = _options.TrimMemoryWhenIdle ? IdleMemoryTrim.ForThisProcess() : null;
        _store = store;
        _config = config;
        _platform = platform;
        _time = time;
        _logger = new ConsoleLogger(output, time);
        _topics = new Topics(config.Mqtt.TopicPrefix);
        _secrets = new CachedSecretStore(store);
        _verifyServer = new VerifyServer(store, _secrets, time, _logger);
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        _policyWatch = new PolicyWatch(time, _options.PolicyCheckInterval, platform.WatchedPaths());
        _auditUploads = new AuditUploads(store, time);

        // Enrolled before desired states were signed: no key pinned, nothing trusted (fail closed).
        _verifier = new DesiredStateVerifier(config.SigningKey?.KeyId, config.SigningKey?.PublicKey, config.OrgId, config.DeviceId);
    }

    /// <summary>How many messages on the desired topic this daemon refused as untrusted since it started.</summary>
    public long UntrustedDesiredStates => Interlocked.Read(ref _untrustedTotal);

    /// <summary>
    /// Whether the daemon stopped because a signed decommission document for this device arrived: it restored the OS
    /// files it managed, deleted its store and reported the wipe (<c>fleetmfa-agent run</c> then exits 5).
    /// </summary>
    public bool Decommissioned => _wiped.IsCancellationRequested;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _wiped.Token);
        cancellationToken = stopping.Token;
        var backoff = TimeSpan.FromSeconds(1);
        if (_options.ServeVerify)
        {
            _verifyServer.Start();
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // First, and connected or not: an offline device must keep its policy in force too.
                await CheckPolicyAsync(cancellationToken);
                await RenewCertificateIfDueAsync(cancellationToken);
                if (!_client.IsConnected)
                {
                    await ConnectAsync(cancellationToken);
                    backoff = TimeSpan.FromSeconds(1);
                }

                await UploadAuditAsync(cancellationToken);
                await WipeWhenFlushedAsync();
                if (_time.GetUtcNow() - _lastReport >= HeartbeatInterval)
                {
                    await ReportCurrentAsync(cancellationToken);
                }

                _trim?.TrimIfAllocated();
                await Task.Delay(AuditInterval, _time, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is MqttCommunicationException or BrokerRefusedException or IOException or InvalidOperationException or OperationCanceledException)
            {
                var wait = backoff + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)(backoff.TotalMilliseconds / 2)));
                LogConnectionFailed(_logger, _config.Mqtt.Host, _config.Mqtt.Port, wait.TotalSeconds, ex.Message);
                try
                {
                    await Task.Delay(wait, _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }

        await StopAsync();
        await _verifyServer.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _policyWatch.Dispose();
        _client.Dispose();
        _identity?.Dispose();
        _verifier.Dispose();
        _gate.Dispose();
        _wiped.Dispose();
        await Task.CompletedTask;
    }

    /// <summary>
    /// Renews the MQTT client certificate once a third of its lifetime is left (tried again every
    /// <see cref="RenewalRetry"/> while refused or unreachable; the current one keeps working until it expires). The
    /// renewed one is stored first, then used from the next connect on.
    /// </summary>
    private async Task RenewCertificateIfDueAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_config.MqttCertificate is not { } current || now < _nextRenewal || !DeviceCertificates.RenewalDue(current, now))
        {
            return;
        }

        _nextRenewal = now + RenewalRetry;
        MqttClientCertificate renewed;
        try
        {
            renewed = await new CertificateRenewal(_store).RenewAsync(_config, cancellationToken);
        }
        catch (Exception ex) when (ex is EnrollmentException or HttpRequestException or IOException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogRenewalFailed(_logger, RenewalRetry.TotalMinutes, ex.Message);
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var config = _config with { MqttCertificate = renewed };
            _store.SaveConfig(config);
            _config = config;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogRenewalFailed(_logger, RenewalRetry.TotalMinutes, ex.Message);
            return;
        }
        finally
        {
            _gate.Release();
        }

        using var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(renewed.Certificate);
        LogRenewed(_logger, new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        // Over TLS with a client certificate the certificate is the credential: no password is sent at all.
        var certificate = _config.Mqtt.UseTls && _config.MqttCertificate is { } mqtt ? DeviceCertificates.LoadForTls(_store, mqtt) : null;
        var password = certificate is null && _config.ProtectedMqttPassword.Length > 0 ? _store.Unprotect(_config.ProtectedMqttPassword, Enroller.MqttPasswordPurpose) : [];
        var presence = _topics.For(_config.OrgId, _config.DeviceId, Topics.Presence);
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(_config.Mqtt.Host, _config.Mqtt.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId(_config.Mqtt.Username)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)TimeSpan.FromDays(7).TotalSeconds)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(30))
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithWillTopic(presence)
            .WithWillPayload("offline"u8.ToArray())
            .WithWillRetain()
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (certificate is not null)
        {
            // The broker must present a certificate the device's CA issued for this host (never the OS store's trust).
            using var ca = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(_config.MqttCertificate!.Ca);
            var fingerprint = FleetMfa.Protocol.Tls.CaFingerprint.Of(ca);
            var caData = ca.RawData;
            builder = builder.WithTlsOptions(o => o
                .UseTls()
                .WithSslProtocols(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13)
                .WithClientCertificates([certificate])
                .WithCertificateValidationHandler(e =>
                {
                    using var trusted = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(caData);
                    return FleetMfa.Protocol.Tls.PinnedCa.Validate(e.Certificate, e.SslPolicyErrors, trusted, fingerprint, TimeProvider.System.GetUtcNow());
                }));
        }
        else
        {
            builder = builder.WithCredentials(_config.Mqtt.Username, password);
            if (_config.Mqtt.UseTls)
            {
                builder = builder.WithTlsOptions(o => o.UseTls());
            }
        }

        MqttClientConnectResult result;
        try
        {
            result = await _client.ConnectAsync(builder.Build(), cancellationToken);
        }
        finally
        {
            // The options hold the array itself: wipe it only once the connect is done with it.
            CryptographicOperations.ZeroMemory(password);
            certificate?.Dispose();
        }

        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            // MQTTnet 5 reports a refused connect as a result code, not an exception.
            throw new BrokerRefusedException($"the broker refused the connection: {result.ResultCode}");
        }

        LogConnected(_logger, _config.Mqtt.Host, _config.Mqtt.Port, _config.OrgId, _config.DeviceId);

        // Subscribe and say "online" in one round trip: the retained desired state is on its way while presence is acknowledged.
        var subscribing = _client.SubscribeAsync(
            new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(_topics.DesiredFor(_config.OrgId, _config.DeviceId), MqttQualityOfServiceLevel.AtLeastOnce)
                .WithTopicFilter(_topics.ReceiptsFor(_config.OrgId, _config.DeviceId), MqttQualityOfServiceLevel.AtLeastOnce)
                .Build(),
            cancellationToken);
        var online = PublishAsync(presence, "online"u8.ToArray(), retain: true, cancellationToken);
        var subscribe = await subscribing;
        if (subscribe.Items.Any(i => i.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2))
        {
            await online;
            throw new BrokerRefusedException($"the broker refused the subscription: {subscribe.Items.First(i => i.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2).ResultCode}");
        }

        LogSubscribed(_logger, _config.OrgId, _config.DeviceId);
        await online;

        // Tell the control plane where we stand, so it can re-publish if the broker lost the retained state.
        await ReportCurrentAsync(cancellationToken);
    }

    private async Task ReportCurrentAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await ReportAsync(new ApplyResult(_secrets.Load(), false, null, null), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        var message = e.ApplicationMessage;
        if (message.Topic == _topics.ReceiptsFor(_config.OrgId, _config.DeviceId))
        {
            await OnReceiptAsync(message);
            return;
        }

        if (message.Topic != _topics.DesiredFor(_config.OrgId, _config.DeviceId) || message.Payload.Length == 0)
        {
            LogIgnoredMessage(_logger, message.Topic, message.Payload.Length);
            return;
        }

        await _gate.WaitAsync();
        try
        {
            if (_stopping)
            {
                // "offline" was the last word; the retained state comes again on the next connect.
                return;
            }

            // Nothing of the message is read before its signature checks out with the pinned key.
            var verdict = message.Payload.Length > MaxDesiredPayloadBytes
                ? DesiredStateVerdict.Refused(UntrustedReasons.TooLarge)
                : _verifier.Open(message.Payload.ToArray());
            if (verdict.Desired is not { } desired)
            {
                RefuseUntrusted(verdict.Untrusted!, message.Payload.Length);
                return;
            }

            if (Decommissioned)
            {
                // Wiped: nothing is held any more, and nothing is applied again.
                return;
            }

            if (verdict.RotatedKey is { } rotated)
            {
                Repin(rotated);
            }

            if (_secrets.Load() is { } held && desired.Version < held.Version)
            {
                // Signed for this device, but older than what it enforces: a replay (or a control plane restored from
                // an older backup). Changes nothing; the report tells a control plane that is behind where the device is.
                RefuseUntrusted(UntrustedReasons.ReplayedVersion, message.Payload.Length);
                await ReportAsync(new ApplyResult(held, false, null, null), CancellationToken.None);
                return;
            }

            if (desired.Decommission)
            {
                // Login records still queued go with the store: they are sent first, and the wipe waits for their receipt
                // (the control plane takes them until it revokes the device) — at most WipeFlushLimit.
                _pendingWipe ??= (desired.Version, _time.GetUtcNow() + WipeFlushLimit);
                if (_store.PeekAudit(1).Count > 0)
                {
                    LogWipeWaitsForAudit(_logger, desired.Version, WipeFlushLimit.TotalSeconds);
                    try
                    {
                        await UploadAuditAsync(CancellationToken.None);
                    }
                    catch (Exception ex) when (ex is MqttCommunicationException or BrokerRefusedException)
                    {
                        LogAuditBeforeWipeFailed(_logger, ex.Message);
                    }
                }

                await WipeIfFlushedAsync();
                return;
            }

            _identity ??= _store.LoadOrCreateIdentity();
            _applier ??= new DesiredStateApplier(_secrets, _config, _identity, _time, _platform);
            var result = _applier.Apply(desired);
            if (result.FailedVersion is { } failed)
            {
                LogApplyFailed(_logger, failed, result.Reason ?? "");
            }
            else if (result.Changed)
            {
                // The applier proved the new version's policy in effect: what an earlier check found is history.
                _enforcement = null;
                LogApplied(_logger, result.State?.Version ?? 0, result.State?.Mfa ?? false, result.State?.Users.Count ?? 0);
            }

            await ReportAsync(result, CancellationToken.None);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The control plane rotated its signing key and the pinned key endorsed the new one: the new key is pinned in
    /// <c>config.json</c> (replaced atomically) and only then trusted alone; the old key is trusted no more. A pin that
    /// cannot be stored leaves the old key pinned: the next message carries the endorsement again.
    /// </summary>
    private void Repin(byte[] publicKey)
    {
        var pinned = new PinnedSigningKey(DesiredStateSignature.KeyId(publicKey), publicKey);
        var config = _config with { SigningKey = pinned };
        try
        {
            _store.SaveConfig(config);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogRepinFailed(_logger, pinned.KeyId, ex.Message);
            return;
        }

        var previous = _config.SigningKey?.KeyId ?? "";
        _config = config;
        _verifier.Dispose();
        _verifier = new DesiredStateVerifier(pinned.KeyId, pinned.PublicKey, config.OrgId, config.DeviceId);
        LogRepinned(_logger, previous, pinned.KeyId);
    }

    /// <summary>
    /// The device's last desired state (signed for it, checked like every other): puts back every OS file the agent
    /// changed exactly as <c>fleetmfa-agent restore</c> does, deletes the store (secrets, credentials, keys, queues),
    /// reports <c>wiped</c> at <paramref name="version"/> and stops the daemon. A restore that fails is reported as
    /// that version's failure and nothing is deleted: the device keeps verifying offline with what it holds, and the
    /// control plane revokes it after its grace period all the same.
    /// </summary>
    private async Task WipeAsync(long version)
    {
        PolicyResult restored;
        try
        {
            restored = _platform.RestorePolicy();
        }
        catch (Exception ex) when (ex is PolicyException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            LogWipeFailed(_logger, version, ex.Message);
            await ReportAsync(new ApplyResult(_secrets.Load(), false, version, $"decommission: the OS files could not be restored: {ex.Message}"), CancellationToken.None);
            return;
        }

        int dropped;
        try
        {
            dropped = _store.DeleteEverything();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogWipeFailed(_logger, version, ex.Message);
            await ReportAsync(new ApplyResult(_secrets.Load(), false, version, $"decommission: the store could not be deleted: {ex.Message}"), CancellationToken.None);
            return;
        }

        _secrets.Forget();
        LogWiped(_logger, version, restored.Changes.Count, dropped);
        var report = new ReportedState(ReportedState.CurrentSchema, version, null, null, DeviceFacts(), [], _time.GetUtcNow(), null, Wiped: true);
        try
        {
            await PublishAsync(_topics.For(_config.OrgId, _config.DeviceId, Topics.Reported), JsonSerializer.SerializeToUtf8Bytes(report, ProtocolJsonContext.Default.ReportedState), retain: false, CancellationToken.None);
        }
        catch (Exception ex) when (ex is MqttCommunicationException or BrokerRefusedException or OperationCanceledException)
        {
            // Wiped all the same: the control plane revokes the device after its grace period without the acknowledgement.
            LogStopFailed(_logger, ex.Message);
        }
        finally
        {
            _wiped.Cancel();
        }
    }

    private DeviceReport DeviceFacts() => new(
        _platform.Hostname(),
        _platform.Os,
        _platform.OsVersion(),
        _platform.SshServerInstalled(),
        _platform.AuthPlugins(),
        null,
        AgentVersion,
        null);

    /// <summary>
    /// Counts and logs a message on the desired topic that is not trusted, and queues the audit event
    /// <c>untrusted-desired-state</c> with the reason (never the message). At most
    /// <see cref="MaxUntrustedEventsPerMinute"/> events a minute: a flood is counted in the next event's detail.
    /// </summary>
    private void RefuseUntrusted(string reason, long bytes)
    {
        var now = _time.GetUtcNow();
        LogUntrustedDesired(_logger, reason, bytes, Interlocked.Increment(ref _untrustedTotal));
        if (now - _untrustedWindowStart >= TimeSpan.FromMinutes(1))
        {
            (_untrustedWindowStart, _untrustedInWindow) = (now, 0);
        }

        if (_untrustedInWindow >= MaxUntrustedEventsPerMinute)
        {
            _untrustedNotRecorded++;
            return;
        }

        _untrustedInWindow++;
        var detail = _untrustedNotRecorded == 0 ? reason : $"{reason} (and {_untrustedNotRecorded} more refused before it, not recorded one by one)";
        _untrustedNotRecorded = 0;
        try
        {
            _store.AppendAudit(new AuditEvent(Guid.NewGuid().ToString("N"), now, AuditOutcome.Refused, null, null, AuditActions.UntrustedDesiredState, detail));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or TimeoutException)
        {
            // Refused all the same; the log line stands.
            LogAuditNotQueued(_logger, ex.Message);
        }
    }

    private Task ReportAsync(ApplyResult result, CancellationToken cancellationToken)
    {
        var state = result.State;
        var report = new ReportedState(
            ReportedState.CurrentSchema,
            state?.Version ?? 0,
            result.FailedVersion,
            result.Reason is { Length: > ReportedState.MaxReasonLength } r ? r[..ReportedState.MaxReasonLength] : result.Reason,
            DeviceFacts(),
            state?.Users.Select(u => new ReportedUser(u.UserId, u.SecretVersion)).ToList() ?? [],
            _time.GetUtcNow(),
            _enforcement);
        var payload = JsonSerializer.SerializeToUtf8Bytes(report, ProtocolJsonContext.Default.ReportedState);
        _lastReport = _time.GetUtcNow();
        return PublishAsync(_topics.For(_config.OrgId, _config.DeviceId, Topics.Reported), payload, retain: false, cancellationToken);
    }

    /// <summary>
    /// When due (<see cref="PolicyWatch"/>), checks that the applied version's OS policy is still in force and repairs
    /// drift. A repair, or a problem the agent cannot repair, becomes an audit event and is reported at once; a problem
    /// is recorded once, not on every check while it lasts.
    /// </summary>
    private async Task CheckPolicyAsync(CancellationToken cancellationToken)
    {
        if (!_policyWatch.IsDue())
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            _policyWatch.Checked();
            AppliedState? state;
            try
            {
                state = _secrets.Load();
            }
            catch (Exception ex) when (ex is CryptographicException or JsonException or IOException)
            {
                // verify refuses every login with an unreadable store (exit 2); the check has nothing to go by.
                LogPolicyNotEffective(_logger, 0, $"the applied state cannot be read: {ex.Message}");
                return;
            }

            if (state is null)
            {
                return;
            }

            PolicyCheck check;
            try
            {
                check = _platform.CheckPolicy(new PolicyRequest(state.Version, state.Mfa, state.Policy, state.Users.Select(u => u.LocalUsername).ToList()));
            }
            catch (Exception ex) when (ex is PolicyException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
            {
                check = PolicyCheck.NotEffective($"{PolicyCodes.DriftUnrepairable}: {ex.Message}");
            }

            var now = _time.GetUtcNow();
            var before = _enforcement;
            switch (check.Status)
            {
                case PolicyCheckStatus.Repaired:
                    var repairs = $"{PolicyCodes.DriftRepaired}: {string.Join("; ", check.Repairs)}";
                    LogPolicyRepaired(_logger, repairs);
                    _enforcement = new PolicyEnforcement(PolicyEnforcementStatus.Repaired, Shorten(repairs), now);
                    _store.AppendAudit(new AuditEvent(Guid.NewGuid().ToString("N"), now, AuditOutcome.Repaired, null, null, AuditActions.PolicyDriftRepaired, Shorten(repairs)));
                    break;
                case PolicyCheckStatus.NotEffective when before is not { Status: PolicyEnforcementStatus.NotEffective } || before.Detail != Shorten(check.Problem!):
                    LogPolicyNotEffective(_logger, state.Version, check.Problem!);
                    _enforcement = new PolicyEnforcement(PolicyEnforcementStatus.NotEffective, Shorten(check.Problem!), now);
                    _store.AppendAudit(new AuditEvent(Guid.NewGuid().ToString("N"), now, AuditOutcome.Unrepairable, null, null, AuditActions.PolicyDriftUnrepairable, Shorten(check.Problem!)));
                    break;
                case PolicyCheckStatus.InEffect when before is { Status: PolicyEnforcementStatus.NotEffective }:
                    LogPolicyInEffectAgain(_logger, state.Version);
                    _enforcement = null;
                    break;
            }

            if (!ReferenceEquals(before, _enforcement) && _client.IsConnected)
            {
                await ReportAsync(new ApplyResult(state, false, null, null), cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private static string Shorten(string text) => text.Length > AuditEvent.MaxDetailLength ? text[..AuditEvent.MaxDetailLength] : text;

    /// <summary>Sends the queued audit events not on their way yet; they leave the queue only with the control plane's receipt (<see cref="OnReceiptAsync"/>).</summary>
    private async Task UploadAuditAsync(CancellationToken cancellationToken)
    {
        if (!_client.IsConnected || _auditUploads.Due() is not { Count: > 0 } events)
        {
            return;
        }

        var payload = JsonSerializer.SerializeToUtf8Bytes(new AuditEventBatch(AuditEventBatch.CurrentSchema, events), ProtocolJsonContext.Default.AuditEventBatch);
        await PublishAsync(_topics.For(_config.OrgId, _config.DeviceId, Topics.Events), payload, retain: false, cancellationToken);
        _auditUploads.Sent(events);
        LogAuditUploaded(_logger, events.Count);
    }

    /// <summary>
    /// A receipt drops the events it names from the queue only when it verifies with the pinned key (or one it
    /// endorsed) and names this org and device: anyone who can write the topic could otherwise erase login records.
    /// </summary>
    private async Task OnReceiptAsync(MqttApplicationMessage message)
    {
        await _gate.WaitAsync();
        try
        {
            if (_verifier.OpenReceipt(message.Payload.ToArray()) is not { } receipt)
            {
                LogUntrustedReceipt(_logger, message.Payload.Length);
                return;
            }

            LogAuditStored(_logger, _auditUploads.Confirm(receipt), receipt.Stored.Count);
            await WipeIfFlushedAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The daemon loop's turn: a decommission whose deadline has passed wipes now, queued records or not.</summary>
    private async Task WipeWhenFlushedAsync()
    {
        if (_pendingWipe is null)
        {
            return;
        }

        await _gate.WaitAsync();
        try
        {
            await WipeIfFlushedAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Under the gate: wipes for the pending decommission once no login record is queued, or its deadline passed.</summary>
    private async Task WipeIfFlushedAsync()
    {
        if (_pendingWipe is not { } wipe || Decommissioned || (_store.PeekAudit(1).Count > 0 && _time.GetUtcNow() < wipe.Deadline))
        {
            return;
        }

        // Tried once: a wipe that fails (the OS files could not be restored) is reported, and the retained decommission
        // is taken again on the next connect.
        _pendingWipe = null;
        await WipeAsync(wipe.Version);
    }

    private async Task PublishAsync(string topic, byte[] payload, bool retain, CancellationToken cancellationToken)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain)
            .Build();
        var result = await _client.PublishAsync(message, cancellationToken);
        if (!result.IsSuccess)
        {
            throw new BrokerRefusedException($"the broker refused a publish to {topic}: {result.ReasonCode}");
        }
    }

    private async Task StopAsync()
    {
        if (!_client.IsConnected)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            // After any apply in flight has reported, so "offline" is the last word.
            await _gate.WaitAsync(timeout.Token);
            try
            {
                _stopping = true;

                // A wiped device says nothing more: its retained messages are the control plane's to clear.
                if (!Decommissioned)
                {
                    await PublishAsync(_topics.For(_config.OrgId, _config.DeviceId, Topics.Presence), "offline"u8.ToArray(), retain: true, timeout.Token);
                }
            }
            finally
            {
                _gate.Release();
            }

            // Outside the gate: the disconnect waits for the message handler, which may be waiting for the gate.
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), timeout.Token);
        }
        catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or BrokerRefusedException)
        {
            LogStopFailed(_logger, ex.Message);
        }
    }
}
