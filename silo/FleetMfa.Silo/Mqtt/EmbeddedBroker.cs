using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using FleetMfa.Grains;
using FleetMfa.Grains.Security;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Tls;
using FleetMfa.Silo.Api.Auth;
using FleetMfa.Silo.Tls;
using Microsoft.Extensions.Options;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// The broker inside the silo (the default, for small fleets). It enforces DESIGN §4's rules itself: a device logs
/// in as <c>{orgId}/{deviceId}</c> — on its TLS port (<see cref="MqttOptions.Port"/>) with the client certificate
/// the FleetMfa CA issued it, whose common name is that identity and whose serial its device grain must still hold (the
/// bridge with the certificate it was issued in memory); on the plain port, only when there is one
/// (<see cref="MqttOptions.PlaintextPort"/>, development), with its own password — checked by its device grain once storage shows the org
/// and an enrolled agent (<see cref="KnownOrgs"/>, <see cref="KnownDevices"/>). It may subscribe only to its
/// own <c>desired</c> and <c>receipts</c> topics and publish only its own <c>reported</c>, <c>events</c> and <c>presence</c>, at most
/// <see cref="MqttOptions.DevicePublishRate"/> messages a second (<see cref="PublishBudget"/>) of at most
/// <see cref="MqttOptions.DeviceMessageBytes"/> each; the bridge client has the control-plane rights and no limit.
/// </summary>
public sealed partial class EmbeddedBroker(
    IOptions<MqttOptions> options,
    BridgeCredentials bridge,
    FleetMfaCertificateAuthority ca,
    BrokerServerCertificate serverCertificate,
    BridgeCertificate bridgeCertificate,
    IGrainFactory grains,
    KnownOrgs orgs,
    KnownDevices devices,
    BrokerMetrics metrics,
    TimeProvider time,
    ILogger<EmbeddedBroker> logger) : IHostedService, IAsyncDisposable
{
    private const string IdentityItem = "fleetmfa.identity";
    private const string BudgetItem = "fleetmfa.budget";
    private readonly Topics _topics = new(options.Value.TopicPrefix);
    private MqttServer? _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        // TLS with client certificates always; a plain listener only when asked for (development). Certificates are
        // judged against the wall clock, never the grains' (a test may shift that one).
        var builder = new MqttServerOptionsBuilder()
            .WithEncryptedEndpoint()
            .WithEncryptedEndpointBoundIPAddress(IPAddress.Parse(o.BindAddress))
            .WithEncryptedEndpointPort(o.Port)
            .WithEncryptionCertificate(serverCertificate)
            .WithEncryptionSslProtocol(SslProtocols.Tls12 | SslProtocols.Tls13)
            .WithClientCertificate(
                (_, certificate, _, errors) => PinnedCa.ValidateClient(certificate, errors, ca.Certificate, ca.Fingerprint, TimeProvider.System.GetUtcNow()),
                checkCertificateRevocation: false)
            .WithPersistentSessions()
            .WithMaxPendingMessagesPerClient(o.QueuedPerClient)
            .WithPendingMessagesOverflowStrategy(MqttPendingMessagesOverflowStrategy.DropNewMessage);
        builder = o.PlaintextPort > 0
            ? builder.WithDefaultEndpoint().WithDefaultEndpointBoundIPAddress(IPAddress.Parse(o.BindAddress)).WithDefaultEndpointPort(o.PlaintextPort)
            : builder.WithoutDefaultEndpoint();

        var serverOptions = builder.Build();
        _server = new MqttServerFactory().CreateMqttServer(serverOptions);
        _server.ValidatingConnectionAsync += ValidateConnectionAsync;
        _server.InterceptingSubscriptionAsync += AuthorizeSubscriptionAsync;
        _server.InterceptingPublishAsync += AuthorizePublishAsync;
        try
        {
            await _server.StartAsync();
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new IOException($"MQTT port {o.Port} (or {o.PlaintextPort}) is already in use; set FLEETMFA_MQTT_PORT (and FLEETMFA_MQTT_PLAINTEXT_PORT) to free ports.", ex);
        }

        LogStartedTls(logger, o.BindAddress, o.Port);
        if (o.PlaintextPort > 0)
        {
            LogStarted(logger, o.BindAddress, o.PlaintextPort);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            await _server.StopAsync();
        }
    }

    /// <summary>
    /// Closes the connection of <paramref name="clientId"/> (a revoked device), if it has one, and deletes its session,
    /// so nothing queued for it is kept; a client without either is no error.
    /// </summary>
    public async Task DisconnectAsync(string clientId)
    {
        if (_server is null)
        {
            return;
        }

        foreach (var client in (await _server.GetClientsAsync()).Where(c => c.Id == clientId))
        {
            await client.DisconnectAsync(new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.AdministrativeAction });
        }

        foreach (var session in (await _server.GetSessionsAsync()).Where(s => s.Id == clientId))
        {
            await session.DeleteAsync();
        }

        LogKicked(logger, clientId);
    }

    public ValueTask DisposeAsync()
    {
        _server?.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        if (e.ClientCertificate is { } certificate)
        {
            await ValidateDeviceCertificateAsync(e, certificate);
            return;
        }

        if (e.IsSecureConnection)
        {
            // The TLS listener takes a device certificate and nothing else: no password, not even the bridge's.
            Refuse(e);
            return;
        }

        if (bridge.Matches(e.UserName, e.Password))
        {
            e.SessionItems[IdentityItem] = BridgeCredentials.EmbeddedUsername;
            e.ReasonCode = MqttConnectReasonCode.Success;
            return;
        }

        // A device's client id is its username, so one device cannot take over another's session.
        if (!DeviceIdentity.TryParse(e.UserName, out var device) || e.ClientId != e.UserName || e.Password is not { Length: > 0 and <= 256 } password)
        {
            Refuse(e);
            return;
        }

        // A device of an org that does not exist, or one that has no enrolled agent, is refused before any grain is
        // activated (as the HTTP API refuses keys of unknown orgs): a stranger cannot activate one grain per attempt.
        var valid = await orgs.ExistsAsync(device.OrgId, CancellationToken.None) &&
            await devices.HasAgentAsync(device.OrgId, device.DeviceId, CancellationToken.None) &&
            await grains.GetDevice(device.OrgId, device.DeviceId).IsMqttPasswordValidAsync(ApiKeys.Hash(password));
        if (!valid)
        {
            Refuse(e);
            return;
        }

        Admit(e, device);
    }

    /// <summary>
    /// A device on the TLS listener: the handshake already proved the certificate is the FleetMfa CA's, for clients,
    /// valid now, and that the client holds its key. Its common name is the identity (the client id must be the same),
    /// and its device grain must still hold its serial: a revoked, replaced-and-expired or never-stored one is refused.
    /// </summary>
    private async Task ValidateDeviceCertificateAsync(ValidatingConnectionEventArgs e, X509Certificate2 certificate)
    {
        var identity = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (identity == BridgeCredentials.EmbeddedUsername && e.ClientId == identity && bridgeCertificate.IsIssued(certificate))
        {
            e.SessionItems[IdentityItem] = BridgeCredentials.EmbeddedUsername;
            e.ReasonCode = MqttConnectReasonCode.Success;
            return;
        }

        if (!DeviceIdentity.TryParse(identity, out var device) || e.ClientId != device.Username ||
            !await orgs.ExistsAsync(device.OrgId, CancellationToken.None) ||
            !await devices.HasAgentAsync(device.OrgId, device.DeviceId, CancellationToken.None) ||
            !await grains.GetDevice(device.OrgId, device.DeviceId).IsClientCertificateValidAsync(certificate.SerialNumber))
        {
            Refuse(e);
            return;
        }

        Admit(e, device);
    }

    private void Refuse(ValidatingConnectionEventArgs e)
    {
        e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
        LogRefused(logger, e.ClientId);
    }

    private void Admit(ValidatingConnectionEventArgs e, DeviceIdentity device)
    {
        e.SessionItems[IdentityItem] = device;
        if (!e.SessionItems.Contains(BudgetItem))
        {
            // A resumed session keeps its budget: reconnecting does not buy a device a new burst.
            e.SessionItems[BudgetItem] = new PublishBudget(options.Value.DevicePublishRate, options.Value.DevicePublishBurst, time);
        }

        e.ReasonCode = MqttConnectReasonCode.Success;
    }

    private Task AuthorizeSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        var topic = e.TopicFilter.Topic;
        var allowed = e.SessionItems[IdentityItem] switch
        {
            string => true,
            DeviceIdentity device => topic == _topics.DesiredFor(device.OrgId, device.DeviceId) || topic == _topics.ReceiptsFor(device.OrgId, device.DeviceId),
            _ => false,
        };
        if (!allowed)
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            LogDenied(logger, e.ClientId, "subscribe", topic);
        }

        return Task.CompletedTask;
    }

    private Task AuthorizePublishAsync(InterceptingPublishEventArgs e)
    {
        var topic = e.ApplicationMessage.Topic;
        var allowed = e.SessionItems[IdentityItem] switch
        {
            string => true,
            DeviceIdentity device => _topics.TryParse(topic, out var orgId, out var deviceId, out var kind) &&
                orgId == device.OrgId && deviceId == device.DeviceId && kind is Topics.Reported or Topics.Events or Topics.Presence,
            _ => false,
        };
        if (!allowed)
        {
            e.ProcessPublish = false;
            e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            LogDenied(logger, e.ClientId, "publish", topic);
        }
        else if (e.SessionItems[IdentityItem] is DeviceIdentity)
        {
            Limit(e);
        }

        return Task.CompletedTask;
    }

    /// <summary>Drops a device's message over its size limit (and disconnects the device) or over its publish rate.</summary>
    private void Limit(InterceptingPublishEventArgs e)
    {
        if (e.ApplicationMessage.Payload.Length > options.Value.DeviceMessageBytes)
        {
            e.ProcessPublish = false;
            e.CloseConnection = true;
            e.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
            metrics.Dropped(BrokerMetrics.SizeReason);
            LogTooLarge(logger, e.ClientId, e.ApplicationMessage.Payload.Length, options.Value.DeviceMessageBytes);
            return;
        }

        // No budget means the session was not set up by ValidateConnectionAsync: refuse rather than let it through unlimited.
        var startsThrottling = true;
        if (e.SessionItems[BudgetItem] is not PublishBudget budget || !budget.TryTake(out startsThrottling))
        {
            e.ProcessPublish = false;
            e.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
            metrics.Dropped(BrokerMetrics.RateReason);
            if (startsThrottling)
            {
                LogThrottled(logger, e.ClientId, options.Value.DevicePublishRate);
            }
        }
    }

    [LoggerMessage(300, LogLevel.Warning, "Embedded MQTT broker also listening on {Address}:{Port} in plain TCP, for password logins (FLEETMFA_MQTT_PLAINTEXT_PORT: development only)")]
    private static partial void LogStarted(ILogger logger, string address, int port);

    [LoggerMessage(306, LogLevel.Information, "Embedded MQTT broker listening on {Address}:{Port} over TLS, for devices with a FleetMfa client certificate")]
    private static partial void LogStartedTls(ILogger logger, string address, int port);

    [LoggerMessage(301, LogLevel.Warning, "MQTT connection refused for client {ClientId}: bad credentials")]
    private static partial void LogRefused(ILogger logger, string clientId);

    [LoggerMessage(302, LogLevel.Warning, "MQTT {Action} to {Topic} denied for client {ClientId}")]
    private static partial void LogDenied(ILogger logger, string clientId, string action, string topic);

    [LoggerMessage(303, LogLevel.Warning, "MQTT client {ClientId} publishes over its rate of {Rate} messages/s; its messages are dropped until it slows down")]
    private static partial void LogThrottled(ILogger logger, string clientId, double rate);

    [LoggerMessage(305, LogLevel.Warning, "MQTT client {ClientId} revoked: disconnected and its session deleted")]
    private static partial void LogKicked(ILogger logger, string clientId);

    [LoggerMessage(304, LogLevel.Warning, "MQTT client {ClientId} published {Bytes} bytes, over the limit of {Limit}; disconnected")]
    private static partial void LogTooLarge(ILogger logger, string clientId, long bytes, int limit);
}
