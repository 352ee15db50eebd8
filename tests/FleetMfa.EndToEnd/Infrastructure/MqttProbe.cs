using System.Buffers;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// An MQTT 5 client the tests drive by hand (as a device, or as a snoop): connects on 127.0.0.1, records every
/// message it receives, and hands back the broker's result codes instead of hiding them (MQTTnet 5 reports a refused
/// connect as a result code, DESIGN §9).
/// </summary>
public sealed class MqttProbe : IAsyncDisposable
{
    public static readonly TimeSpan MessageDeadline = TimeSpan.FromSeconds(15);

    private readonly IMqttClient _client;
    private readonly List<ReceivedMessage> _received = [];
    private readonly Lock _gate = new();

    private MqttProbe()
    {
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += e =>
        {
            var message = e.ApplicationMessage;
            lock (_gate)
            {
                _received.Add(new ReceivedMessage(message.Topic, message.Payload.ToArray(), message.Retain));
            }

            return Task.CompletedTask;
        };
    }

    public bool IsConnected => _client.IsConnected;

    /// <summary>Everything received so far, in arrival order.</summary>
    public IReadOnlyList<ReceivedMessage> Received
    {
        get
        {
            lock (_gate)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Connects with these credentials (client id = username unless told); the result says whether the broker accepted.</summary>
    public static async Task<(MqttProbe Probe, MqttClientConnectResultCode Result)> ConnectAsync(int port, string username, string password, string? clientId = null)
    {
        var probe = new MqttProbe();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId ?? username)
            .WithCredentials(username, password)
            .WithCleanStart()
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        var result = await probe._client.ConnectAsync(options);
        return (probe, result.ResultCode);
    }

    /// <summary>
    /// Connects over TLS to 127.0.0.1:<paramref name="port"/> presenting <paramref name="certificate"/> (with its key; none:
    /// no client certificate) and no password; trusts any server certificate (the probe tests the broker's side). A
    /// handshake the broker refuses throws; a refused CONNECT is the result code.
    /// </summary>
    public static async Task<(MqttProbe Probe, MqttClientConnectResultCode Result)> ConnectWithCertificateAsync(int port, X509Certificate2? certificate, string clientId)
    {
        var probe = new MqttProbe();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId)
            .WithCleanStart()
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithTlsOptions(o => o
                .UseTls()
                .WithSslProtocols(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13)
                .WithClientCertificates(certificate is null ? [] : [certificate])
                .WithCertificateValidationHandler(_ => true))
            .Build();
        try
        {
            var result = await probe._client.ConnectAsync(options);
            return (probe, result.ResultCode);
        }
        catch
        {
            await probe.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Connects with credentials the broker is about to know (Mosquitto loads a new device account on a SIGHUP the silo
    /// sends just after enrollment): retries a refused connect until <paramref name="deadline"/>, then asserts success.
    /// </summary>
    public static Task<MqttProbe> ConnectEventuallyAsync(int port, string username, string password, TimeSpan? deadline = null) =>
        ConnectEventuallyAsync(() => ConnectAsync(port, username, password), $"{username} on 127.0.0.1:{port}", deadline);

    /// <summary><paramref name="connect"/> again until the broker accepts or <paramref name="deadline"/> passes, then asserts success.</summary>
    public static async Task<MqttProbe> ConnectEventuallyAsync(Func<Task<(MqttProbe Probe, MqttClientConnectResultCode Result)>> connect, string who, TimeSpan? deadline = null)
    {
        ArgumentNullException.ThrowIfNull(connect);
        var until = DateTimeOffset.UtcNow + (deadline ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var (probe, result) = await connect();
            if (result == MqttClientConnectResultCode.Success)
            {
                return probe;
            }

            await probe.DisposeAsync();
            Assert.True(DateTimeOffset.UtcNow < until, $"{who} could not connect: {result}");
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>A round trip to the broker (PINGREQ/PINGRESP): false when this session is gone (e.g. taken over).</summary>
    public async Task<bool> PingAsync()
    {
        if (!_client.IsConnected)
        {
            return false;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _client.PingAsync(timeout.Token);
            return _client.IsConnected;
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
        {
            return false;
        }
    }

    public async Task<MqttClientSubscribeResultCode> SubscribeAsync(string topic)
    {
        var result = await _client.SubscribeAsync(
            new MqttClientSubscribeOptionsBuilder().WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce).Build());
        return Assert.Single(result.Items).ResultCode;
    }

    /// <summary>Publishes (at QoS 1 unless told otherwise) and returns the broker's PUBACK reason (success at once for QoS 0).</summary>
    public async Task<MqttClientPublishReasonCode> PublishAsync(string topic, byte[] payload, bool retain = false, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(qos)
            .WithRetainFlag(retain)
            .Build();
        var result = await _client.PublishAsync(message);
        return result.ReasonCode;
    }

    /// <summary>Polls the received messages until one on <paramref name="topic"/> arrives; fails after <see cref="MessageDeadline"/>.</summary>
    public async Task<ReceivedMessage> WaitForMessageAsync(string topic) =>
        (await Poll.UntilAsync(
            () => Task.FromResult(Received.FirstOrDefault(m => m.Topic == topic)),
            message => message is not null,
            $"a message on {topic}",
            MessageDeadline))!;

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
        }

        _client.Dispose();
    }
}
