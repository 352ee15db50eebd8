using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using FleetMfa.Grains;
using FleetMfa.Grains.Twin;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;
using FleetMfa.Protocol.Signing;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// The control plane's MQTT client, the same against the embedded broker and an external one: it publishes desired
/// states (signed, retained, QoS 1) and ingests every device's <c>reported</c>, <c>events</c> and <c>presence</c> — through
/// an MQTT 5 shared subscription on an external broker, so several silos share the load and each message is handled
/// once. Incoming messages are size-checked and routed by topic to device grains by a bounded set of workers;
/// garbage is logged and dropped and never stops the bridge. A message is acknowledged to the broker only once a grain
/// took it (<see cref="IngestRetry"/>): one no grain can take yet (storage down) is held and tried again, never dropped,
/// and one that a restarting silo had not handed over yet is delivered again.
/// </summary>
public sealed partial class MqttBridge : BackgroundService, IDesiredStatePublisher
{
    private const int MaxPresenceBytes = 16;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly MqttOptions _options;
    private readonly BridgeCredentials _credentials;
    private readonly IGrainFactory _grains;
    private readonly ILogger<MqttBridge> _logger;
    private readonly TimeProvider _time;
    private readonly Topics _topics;
    private readonly IMqttClient _client;
    private readonly IngestRetry _retry;
    private readonly IngestMetrics _metrics;
    private readonly IngestLanes _lanes;
    private readonly DesiredStateSigner _signer;
    private readonly BridgeCertificate? _certificate;
    private readonly Channel<MqttApplicationMessageReceivedEventArgs> _inbox;

    /// <summary>A bridge that connects with <paramref name="certificate"/> on the embedded broker (which takes TLS only), with its password elsewhere.</summary>
    public MqttBridge(
        IOptions<MqttOptions> options, BridgeCredentials credentials, DesiredStateSigner signer, IGrainFactory grains, ILogger<MqttBridge> logger, TimeProvider time,
        IngestMetrics metrics, BridgeCertificate? certificate = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(signer);
        _options = options.Value;
        _signer = signer;
        _credentials = credentials;
        _certificate = certificate;
        _grains = grains;
        _logger = logger;
        _time = time;
        _topics = new Topics(_options.TopicPrefix);
        _retry = new IngestRetry(time, logger, metrics);
        _metrics = metrics;
        _lanes = new IngestLanes(_options.IngestPerDevice);
        _inbox = Channel.CreateBounded<MqttApplicationMessageReceivedEventArgs>(
            new BoundedChannelOptions(_options.IngestWindow) { FullMode = BoundedChannelFullMode.Wait, SingleWriter = true });
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += e =>
        {
            e.AutoAcknowledge = false;
            if (!_lanes.TryEnter(LaneOf(e.ApplicationMessage.Topic)))
            {
                // The device has its share of the bridge in flight already: this one is dropped, never waited for.
                _metrics.Dropped(KindOf(e.ApplicationMessage.Topic));
                return AcknowledgeAsync(e);
            }

            return _inbox.Writer.WriteAsync(e).AsTask();
        };
    }

    public bool IsConnected => _client.IsConnected;

    /// <summary>
    /// The one place the control plane writes a <c>desired</c> topic: the document's own org and device name the topic,
    /// and what is published is the document signed (<see cref="DesiredStateSigner"/>), never bare.
    /// </summary>
    public async Task PublishDesiredAsync(DesiredState desired, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var (orgId, deviceId) = (desired.OrgId, desired.DeviceId);
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(_topics.DesiredFor(orgId, deviceId))
            .WithPayload(_signer.Sign(desired))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag()
            .Build();
        var result = await _client.PublishAsync(message, cancellationToken);
        if (!result.IsSuccess)
        {
            throw new InvalidOperationException($"The broker refused the desired state of {orgId}/{deviceId}: {result.ReasonCode}.");
        }
    }

    /// <summary>
    /// Clears a decommissioned device's retained <c>desired</c> and <c>presence</c> messages: an empty retained publish
    /// deletes a topic's retained message on every MQTT broker.
    /// </summary>
    public async Task ClearRetainedAsync(string orgId, string deviceId, CancellationToken cancellationToken)
    {
        foreach (var topic in new[] { _topics.DesiredFor(orgId, deviceId), _topics.For(orgId, deviceId, Topics.Presence) })
        {
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithRetainFlag()
                .Build();
            var result = await _client.PublishAsync(message, cancellationToken);
            if (!result.IsSuccess)
            {
                throw new InvalidOperationException($"The broker refused to clear {topic}: {result.ReasonCode}.");
            }
        }
    }

    public override void Dispose()
    {
        _client.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var workers = Enumerable.Range(0, _options.IngestConcurrency).Select(_ => IngestAsync(stoppingToken)).ToArray();
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!_client.IsConnected)
                {
                    await ConnectAsync(stoppingToken);
                    backoff = TimeSpan.FromMilliseconds(250);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), _time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is MqttCommunicationException or InvalidOperationException or OperationCanceledException)
            {
                LogConnectFailed(_logger, ex.Message, backoff.TotalSeconds);
                await Task.Delay(backoff, _time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }

        _inbox.Writer.TryComplete();
        await Task.WhenAll(workers);
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
        }
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var (host, port) = _options.BrokerEndpoint();
        using var certificate = _certificate?.Issue();
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            // One bridge account per silo, and its name as client id (Mosquitto's use_username_as_clientid does the
            // same): the silo finds its session again when it reconnects or restarts, with what was queued meanwhile.
            .WithClientId(_credentials.Username);
        if (certificate is not null)
        {
            // A TLS broker (embedded, or Mosquitto on mqtts://): the bridge's certificate is its credential, and the
            // broker's must be the FleetMfa CA's (the silo dials it by address: the name is not what is checked).
            var ca = _certificate!.Authority;
            builder = builder.WithTlsOptions(o => o
                .UseTls()
                .WithSslProtocols(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13)
                .WithClientCertificates([certificate])
                .WithCertificateValidationHandler(e => e.Certificate is System.Security.Cryptography.X509Certificates.X509Certificate2 presented &&
                    FleetMfa.Protocol.Tls.PinnedCa.Verify(presented, ca.Certificate, ca.Fingerprint, TimeProvider.System.GetUtcNow())));
        }
        else
        {
            builder = builder.WithCredentials(_credentials.Username, _credentials.Password);
        }

        var options = builder
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)_options.BridgeSessionExpiry.TotalSeconds)
            // Unacknowledged messages the broker may send at once: the rest wait in the session on the broker, not in
            // this process, and a keep-alive answer is never queued behind a whole burst of reports.
            .WithReceiveMaximum((ushort)_options.IngestWindow)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(15))
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        var result = await _client.ConnectAsync(options, cancellationToken);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            // MQTTnet 5 reports a refused connect as a result code, not an exception.
            throw new InvalidOperationException($"the broker at {host}:{port} refused the bridge: {result.ResultCode}");
        }

        var subscribe = new MqttClientSubscribeOptionsBuilder();
        foreach (var kind in new[] { Topics.Reported, Topics.Events, Topics.Presence })
        {
            // Shared subscriptions let several silos split the reports; the embedded broker has one silo.
            subscribe.WithTopicFilter(_options.IsEmbedded ? _topics.AllOf(kind) : _topics.SharedAllOf(kind), MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var granted = await _client.SubscribeAsync(subscribe.Build(), cancellationToken);
        if (granted.Items.FirstOrDefault(i => i.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2) is { } refused)
        {
            throw new InvalidOperationException($"the broker refused the bridge's subscription to {refused.TopicFilter.Topic}: {refused.ResultCode}");
        }

        LogConnected(_logger, host, port);
    }

    private async Task IngestAsync(CancellationToken stoppingToken)
    {
        await foreach (var received in _inbox.Reader.ReadAllAsync(CancellationToken.None))
        {
            var message = received.ApplicationMessage;
            try
            {
                if (await _retry.HandAsync(message.Topic, () => RouteAsync(message), stoppingToken))
                {
                    await AcknowledgeAsync(received);
                }
            }
            finally
            {
                _lanes.Leave(LaneOf(message.Topic));
            }
        }
    }

    private async Task AcknowledgeAsync(MqttApplicationMessageReceivedEventArgs received)
    {
        try
        {
            await received.AcknowledgeAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The connection it came on is gone: the broker delivers it again, and handling it twice changes nothing.
            LogAcknowledgeFailed(_logger, received.ApplicationMessage.Topic, ex.GetType().Name);
        }
    }

    private Task RouteAsync(MqttApplicationMessage message)
    {
        if (!_topics.TryParse(message.Topic, out var orgId, out var deviceId, out var kind))
        {
            LogDropped(_logger, message.Topic, "not a device topic");
            return Task.CompletedTask;
        }

        var device = _grains.GetDevice(orgId, deviceId);
        var length = message.Payload.Length;
        switch (kind)
        {
            case Topics.Reported when length <= Grains.Devices.DeviceReports.MaxReportBytes:
                return device.ReportAsync(message.Payload.ToArray());
            case Topics.Events when length <= Grains.Devices.DeviceAuditEvents.MaxBatchBytes:
                return UploadAuditAsync(device, orgId, deviceId, message.Payload.ToArray());
            case Topics.Presence when length <= MaxPresenceBytes:
                var text = Encoding.UTF8.GetString(message.Payload);
                return text is "online" or "offline" ? device.SetPresenceAsync(text == "online") : Dropped(message.Topic, "unknown presence value");
            case Topics.Desired:
                return Task.CompletedTask;
            default:
                return Dropped(message.Topic, $"payload of {length} bytes is too large");
        }
    }

    /// <summary>
    /// Hands a batch of audit events to its device and, once the grain stored them, tells the device which it may drop
    /// from its queue (<see cref="AuditReceipt"/>, signed as desired states are, QoS 1, not retained). A receipt that does not reach the device costs a
    /// resend of events already stored, nothing more: the grain's answer is the hand-over, not the receipt.
    /// </summary>
    private async Task UploadAuditAsync(IDeviceGrain device, string orgId, string deviceId, byte[] payload)
    {
        var settled = await device.UploadAuditAsync(payload);
        if (settled.Count == 0)
        {
            return;
        }

        try
        {
            var receipt = _signer.SignReceipt(new AuditReceipt(AuditReceipt.CurrentSchema, orgId, deviceId, settled));
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(_topics.ReceiptsFor(orgId, deviceId))
                .WithPayload(receipt)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            var result = await _client.PublishAsync(message, CancellationToken.None);
            if (!result.IsSuccess)
            {
                LogReceiptFailed(_logger, orgId, deviceId, result.ReasonCode.ToString());
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReceiptFailed(_logger, orgId, deviceId, ex.GetType().Name);
        }
    }

    /// <summary>The device a topic belongs to (<c>{orgId}/{deviceId}</c>); anything else shares one lane.</summary>
    private string LaneOf(string topic) =>
        _topics.TryParse(topic, out var orgId, out var deviceId, out _) ? $"{orgId}/{deviceId}" : "";

    private string KindOf(string topic) => _topics.TryParse(topic, out _, out _, out var kind) ? kind : "other";

    private Task Dropped(string topic, string reason)
    {
        LogDropped(_logger, topic, reason);
        return Task.CompletedTask;
    }

    [LoggerMessage(310, LogLevel.Information, "MQTT bridge connected to {Host}:{Port}")]
    private static partial void LogConnected(ILogger logger, string host, int port);

    [LoggerMessage(311, LogLevel.Warning, "MQTT bridge cannot connect ({Reason}); retrying in {Seconds:F1} s")]
    private static partial void LogConnectFailed(ILogger logger, string reason, double seconds);

    [LoggerMessage(312, LogLevel.Warning, "MQTT message on {Topic} dropped: {Reason}")]
    private static partial void LogDropped(ILogger logger, string topic, string reason);

    [LoggerMessage(318, LogLevel.Warning, "Audit receipt for {OrgId}/{DeviceId} not published ({Error}): the device sends its events again and they are stored once")]
    private static partial void LogReceiptFailed(ILogger logger, string orgId, string deviceId, string error);

    [LoggerMessage(316, LogLevel.Debug, "MQTT message on {Topic} handled but not acknowledged ({Error}): the broker delivers it again")]
    private static partial void LogAcknowledgeFailed(ILogger logger, string topic, string error);
}
