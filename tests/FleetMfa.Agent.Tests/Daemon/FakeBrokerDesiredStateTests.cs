using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Runtime.Versioning;
using System.Text.Json;
using FleetMfa.Agent.Daemon;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Agent.Tests.Platform;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;
using FleetMfa.Protocol.Signing;
using FleetMfa.Testing;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;
using MQTTnet.Server;

namespace FleetMfa.Agent.Tests.Daemon;

/// <summary>
/// The real daemon pointed at a broker that is not the control plane's (an MQTTnet server inside the test, as a
/// device redirected by DNS or a network position would reach): whatever that broker sends on the device's
/// <c>desired</c> topic, only a document signed with the pinned key, for this device and not older than the applied one
/// is applied. Everything else leaves the store byte for byte, is counted, logged without its content and queued as
/// <c>untrusted-desired-state</c> — which the daemon uploads on <c>events</c> like any audit event.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class FakeBrokerDesiredStateTests : IAsyncDisposable
{
    private static readonly TimeSpan AuditInterval = TimeSpan.FromSeconds(5);

    private readonly TestStore _store = new();
    private readonly DesiredStateSigner _signer = DesiredStateSigner.FromPrivateKey(DesiredStateSigner.NewPrivateKey());
    private readonly DesiredStateSigner _attacker = DesiredStateSigner.FromPrivateKey(DesiredStateSigner.NewPrivateKey());
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));
    // By event id: an event not receipted (this broker sends no receipts) is sent again, as the control plane would dedupe.
    private readonly ConcurrentDictionary<string, AuditEvent> _uploaded = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<long> _reported = new();
    private readonly ConcurrentQueue<long> _wiped = new();
    private readonly RecordingPlatform _platform = new();
    private readonly StringWriter _log = new();
    private readonly TextWriter _output;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Topics _topics = new();
    private MqttServer? _broker;
    private bool _receipts;
    private AgentDaemon? _daemon;
    private Task? _run;

    public FakeBrokerDesiredStateTests() => _output = TextWriter.Synchronized(_log);

    private string Desired => _topics.DesiredFor(TestStore.OrgId, TestStore.DeviceId);

    private static DesiredState Document(long version, bool mfa = true, string deviceId = TestStore.DeviceId) =>
        new(DesiredState.CurrentSchema, TestStore.OrgId, deviceId, version, mfa, TestTotp.Default, TestStore.Policy, [], new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Only_a_document_signed_with_the_pinned_key_for_this_device_and_newer_is_applied()
    {
        await StartAsync(pinned: true);
        await SendAsync(_signer.Sign(Document(3)));
        await Poll.UntilAsync(() => _store.Store.Load()?.Version == 3, "the genuine version 3 applied");
        var before = File.ReadAllBytes(_store.PathOf("state.bin"));

        var mfaOff = Document(4, mfa: false);
        var wedge = Document(long.MaxValue, mfa: false);
        (string Reason, byte[] Message)[] forgeries =
        [
            (UntrustedReasons.NotSigned, JsonSerializer.SerializeToUtf8Bytes(mfaOff, ProtocolJsonContext.Default.DesiredState)),
            (UntrustedReasons.UnknownKey, _attacker.Sign(mfaOff)),
            (UntrustedReasons.BadSignature, WithKeyId(_attacker.Sign(mfaOff), _signer.KeyId)),
            (UntrustedReasons.OtherDevice, _signer.Sign(Document(4, mfa: false, deviceId: "dev-2"))),
            (UntrustedReasons.ReplayedVersion, _signer.Sign(Document(2, mfa: false))),
            (UntrustedReasons.NotSigned, JsonSerializer.SerializeToUtf8Bytes(wedge, ProtocolJsonContext.Default.DesiredState)),
            (UntrustedReasons.BadSignature, WithKeyId(_attacker.Sign(wedge), _signer.KeyId)),
            (UntrustedReasons.NotSigned, "garbage"u8.ToArray()),
            (UntrustedReasons.TooLarge, new byte[AgentDaemon.MaxDesiredPayloadBytes + 1]),
        ];
        foreach (var (_, message) in forgeries)
        {
            await SendAsync(message);
        }

        await Poll.UntilAsync(() => _daemon!.UntrustedDesiredStates == forgeries.Length, $"{forgeries.Length} refusals");
        await UploadedAsync(forgeries.Length);

        // Nothing changed on the device; each refusal is an audit event with its reason, and the log has no content.
        Assert.Equal(before, File.ReadAllBytes(_store.PathOf("state.bin")));
        Assert.Equal((3L, true), (_store.Store.Load()!.Version, _store.Store.Load()!.Mfa));
        var events = _uploaded.Values.Where(e => e.Action == AuditActions.UntrustedDesiredState).ToList();
        Assert.Equal(forgeries.Select(f => f.Reason).Order(StringComparer.Ordinal), events.Select(e => e.Detail!).Order(StringComparer.Ordinal));
        Assert.All(events, e => Assert.Equal((AuditOutcome.Refused, (string?)null, (string?)null), (e.Outcome, e.LocalUsername, e.UserId)));
        var log = _log.ToString();
        Assert.Equal(forgeries.Length, log.Split("refused an untrusted desired state (").Length - 1);
        Assert.DoesNotContain("garbage", log, StringComparison.Ordinal);
        Assert.DoesNotContain(_signer.KeyId, log, StringComparison.Ordinal);

        // The replay was answered with where the device stands, so a control plane that is behind republishes.
        Assert.True(_reported.Count(v => v == 3) >= 2, string.Join(",", _reported));

        // A genuine newer document still applies.
        await SendAsync(_signer.Sign(Document(4, mfa: false)));
        await Poll.UntilAsync(() => _store.Store.Load()?.Version == 4, "the genuine version 4 applied");
        Assert.False(_store.Store.Load()!.Mfa);
    }

    [Fact]
    public async Task A_store_without_a_pinned_key_applies_nothing_not_even_the_control_plane_s_own_documents()
    {
        await StartAsync(pinned: false);

        await SendAsync(_signer.Sign(Document(5, mfa: true)));
        await SendAsync(JsonSerializer.SerializeToUtf8Bytes(Document(6, mfa: true), ProtocolJsonContext.Default.DesiredState));

        await Poll.UntilAsync(() => _daemon!.UntrustedDesiredStates == 2, "2 refusals");
        await UploadedAsync(2);
        Assert.Equal((0L, false), (_store.Store.Load()!.Version, _store.Store.Load()!.Mfa));
        Assert.Equal(
            new[] { UntrustedReasons.NoPinnedKey, UntrustedReasons.NotSigned }.Order(StringComparer.Ordinal),
            _uploaded.Values.Select(e => e.Detail!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_flood_is_refused_in_full_but_audited_at_most_ten_times_a_minute_and_then_counted()
    {
        await StartAsync(pinned: true);
        var flood = AgentDaemon.MaxUntrustedEventsPerMinute + 15;
        for (var i = 0; i < flood; i++)
        {
            await SendAsync(_attacker.Sign(Document(10 + i, mfa: false)));
        }

        await Poll.UntilAsync(() => _daemon!.UntrustedDesiredStates == flood, $"{flood} refusals");

        // A minute later the next refusal is recorded, with how many were not.
        _time.Advance(TimeSpan.FromMinutes(1));
        await SendAsync(_attacker.Sign(Document(99, mfa: false)));
        await Poll.UntilAsync(() => _daemon!.UntrustedDesiredStates == flood + 1, "one more refusal");
        await UploadedAsync(AgentDaemon.MaxUntrustedEventsPerMinute + 1);

        var details = _uploaded.Values.Select(e => e.Detail!).ToList();
        Assert.Equal(AgentDaemon.MaxUntrustedEventsPerMinute + 1, details.Count);
        Assert.Equal(AgentDaemon.MaxUntrustedEventsPerMinute, details.Count(d => d == UntrustedReasons.UnknownKey));
        Assert.Contains($"{UntrustedReasons.UnknownKey} (and 15 more refused before it, not recorded one by one)", details);
        Assert.Equal(0L, _store.Store.Load()!.Version);
    }

    [Fact]
    public async Task Decommission_signed_for_this_device_restores_the_OS_files_deletes_the_store_reports_wiped_and_stops()
    {
        await StartAsync(pinned: true);
        await SendAsync(_signer.Sign(Document(3)));
        await Poll.UntilAsync(() => _store.Store.Load()?.Version == 3, "version 3 applied");
        var before = File.ReadAllBytes(_store.PathOf("state.bin"));

        // Forged, unsigned, for another device or older: a decommission like any desired state, and it changes nothing.
        var decommission = Document(4, mfa: false) with { Decommission = true };
        byte[][] forgeries =
        [
            JsonSerializer.SerializeToUtf8Bytes(decommission, ProtocolJsonContext.Default.DesiredState),
            _attacker.Sign(decommission),
            WithKeyId(_attacker.Sign(decommission), _signer.KeyId),
            _signer.Sign(decommission with { DeviceId = "dev-2" }),
            _signer.Sign(decommission with { Version = 2 }),
        ];
        foreach (var forgery in forgeries)
        {
            await SendAsync(forgery);
        }

        await Poll.UntilAsync(() => _daemon!.UntrustedDesiredStates == forgeries.Length, $"{forgeries.Length} refusals");
        Assert.Equal(before, File.ReadAllBytes(_store.PathOf("state.bin")));
        Assert.Equal(0, _platform.Restores);
        Assert.False(_daemon!.Decommissioned);

        await SendAsync(_signer.Sign(decommission));

        // The refusals are login-trail records still queued: they are sent first, and with no receipt (this broker sends
        // none) the wipe waits for its deadline — never longer.
        await Poll.UntilAsync(() => _uploaded.Count == forgeries.Length, "the queued records sent before the wipe");
        var decided = _time.GetUtcNow();
        Assert.False(_daemon.Decommissioned);
        await Poll.UntilAsync(
            () =>
            {
                if (!_run!.IsCompleted)
                {
                    _time.Advance(AuditInterval);
                }

                return _run!.IsCompleted;
            },
            "the wipe at its deadline");
        await _run!;
        Assert.InRange(_time.GetUtcNow() - decided, AgentDaemon.WipeFlushLimit, AgentDaemon.WipeFlushLimit + AuditInterval);
        Assert.True(_daemon.Decommissioned);
        Assert.Equal(1, _platform.Restores);
        Assert.False(_store.Store.IsEnrolled);
        Assert.False(File.Exists(_store.PathOf("state.bin")));
        Assert.Equal([4L], _wiped);
    }

    [Fact]
    public async Task A_decommission_wipes_as_soon_as_the_queued_login_records_are_receipted()
    {
        _receipts = true;
        await StartAsync(pinned: true);
        _store.Store.AppendAudit(new AuditEvent("login-1", _time.GetUtcNow(), AuditOutcome.Accepted, "asmith", "alice"));
        _store.Store.AppendAudit(new AuditEvent("login-2", _time.GetUtcNow(), AuditOutcome.Rejected, "asmith", "alice"));

        // No time passes: the records go out with the decommission, and their receipt lets the wipe go ahead at once.
        await SendAsync(_signer.Sign(Document(4, mfa: false) with { Decommission = true }));

        await _run!.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(_daemon!.Decommissioned);
        Assert.Equal(["login-1", "login-2"], _uploaded.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([4L], _wiped);
        Assert.False(_store.Store.IsEnrolled);
    }

    /// <summary>Starts the broker and the daemon (enrolled against it, with or without the pinned key) and waits for its subscription.</summary>
    private async Task StartAsync(bool pinned)
    {
        var port = FreePorts.Next();
        _broker = new MqttServerFactory().CreateMqttServer(new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointPort(port)
            .Build());
        _broker.ClientSubscribedTopicAsync += e =>
        {
            if (e.TopicFilter.Topic == Desired)
            {
                _subscribed.TrySetResult();
            }

            return Task.CompletedTask;
        };
        _broker.InterceptingPublishAsync += e =>
        {
            var message = e.ApplicationMessage;
            if (message.Topic == _topics.For(TestStore.OrgId, TestStore.DeviceId, Topics.Events))
            {
                var batch = JsonSerializer.Deserialize(message.Payload.ToArray(), ProtocolJsonContext.Default.AuditEventBatch)!;
                foreach (var audit in batch.Events)
                {
                    _uploaded[audit.Id] = audit;
                }

                if (_receipts)
                {
                    // As the control plane's bridge: a receipt signed with the pinned key, naming the batch's events.
                    var receipt = new AuditReceipt(AuditReceipt.CurrentSchema, TestStore.OrgId, TestStore.DeviceId, [.. batch.Events.Select(a => a.Id)]);
                    _ = _broker!.InjectApplicationMessage(new InjectedMqttApplicationMessage(
                        new MqttApplicationMessageBuilder().WithTopic(_topics.ReceiptsFor(TestStore.OrgId, TestStore.DeviceId)).WithPayload(_signer.SignReceipt(receipt))
                            .WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build())
                    {
                        SenderClientId = "fake-broker",
                    });
                }
            }
            else if (message.Topic == _topics.For(TestStore.OrgId, TestStore.DeviceId, Topics.Reported))
            {
                var report = JsonSerializer.Deserialize(message.Payload.ToArray(), ProtocolJsonContext.Default.ReportedState)!;
                _reported.Enqueue(report.AppliedVersion);
                if (report.Wiped)
                {
                    _wiped.Enqueue(report.AppliedVersion);
                }
            }

            return Task.CompletedTask;
        };
        await _broker.StartAsync();

        var config = _store.Enroll(mqttPort: port, signingKey: pinned ? new PinnedSigningKey(_signer.KeyId, _signer.PublicKey) : null);
        _daemon = new AgentDaemon(_store.Store, config, _platform, _time, _output, new AgentDaemonOptions { ServeVerify = false, TrimMemoryWhenIdle = false });
        _run = Task.Run(() => _daemon.RunAsync(_stop.Token));
        await _subscribed.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Publishes <paramref name="payload"/> retained on the device's desired topic, as the broker itself.</summary>
    private Task SendAsync(byte[] payload) =>
        _broker!.InjectApplicationMessage(new InjectedMqttApplicationMessage(
            new MqttApplicationMessageBuilder().WithTopic(Desired).WithPayload(payload).WithRetainFlag()
                .WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build())
        {
            SenderClientId = "fake-broker",
        });

    /// <summary>Lets the daemon's audit upload come round (every 5 s of its clock) until <paramref name="count"/> events reached the broker.</summary>
    private Task UploadedAsync(int count) =>
        Poll.UntilAsync(
            () =>
            {
                if (_uploaded.Count < count)
                {
                    _time.Advance(AuditInterval);
                }

                return _uploaded.Count >= count;
            },
            $"{count} audit events uploaded");

    private static byte[] WithKeyId(byte[] message, string keyId) =>
        JsonSerializer.SerializeToUtf8Bytes(
            JsonSerializer.Deserialize(message, ProtocolJsonContext.Default.SignedDesiredState)! with { Kid = keyId },
            ProtocolJsonContext.Default.SignedDesiredState);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            await _run;
        }

        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }

        if (_broker is not null)
        {
            await _broker.StopAsync();
            _broker.Dispose();
        }

        _stop.Dispose();
        _signer.Dispose();
        _attacker.Dispose();
        _store.Dispose();
        _log.Dispose();
    }
}
