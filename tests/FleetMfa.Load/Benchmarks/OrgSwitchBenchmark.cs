using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using FleetMfa.Load.Measurement;
using FleetMfa.Protocol;
using FleetMfa.Testing.Agents;
using FleetMfa.Testing.Fleet;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace FleetMfa.Load.Benchmarks;

/// <summary>
/// <c>org-switch</c>: over the devices of a <c>register</c>ed org (identity, MFA on, org TOTP off), switch org TOTP on
/// and time until every device's new desired state (<c>mfa: true</c>) has been published — observed independently by
/// an MQTT subscriber on <c>fleetmfa/v1/{org}/+/desired</c> with its own broker account.
/// </summary>
public static class OrgSwitchBenchmark
{
    public static async Task<Figures> RunAsync(LoadOptions options, FleetClient api, CancellationToken cancellationToken)
    {
        var org = options.Org;
        var settings = await api.GetAsync($"/api/orgs/{org}", cancellationToken);
        if ((bool)settings["totp"]!["enabled"]!)
        {
            throw new InvalidOperationException($"org {org} already has TOTP on: run 'register' on a fresh org first");
        }

        var n = (int)settings["devices"]!["total"]!;
        var firstSeen = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var received = 0L;
        using var observer = new MqttClientFactory().CreateMqttClient();
        observer.ApplicationMessageReceivedAsync += e =>
        {
            Interlocked.Increment(ref received);
            var now = Stopwatch.GetTimestamp();
            var desired = DesiredMessages.Parse(e.ApplicationMessage.Payload.ToArray());
            if (desired is { Mfa: true })
            {
                firstSeen.TryAdd(desired.DeviceId, now);
            }

            return Task.CompletedTask;
        };
        var observerOptions = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", options.MqttPort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(options.ObserverUsername ?? throw new ArgumentException("--observer-user is required"))
            .WithCleanStart()
            .WithTimeout(TimeSpan.FromSeconds(10));
        using var certificate = options.ObserverCertificateFile is { } pem ? LoadCertificate(pem) : null;
        observerOptions = certificate is null
            ? observerOptions.WithCredentials(options.ObserverUsername, options.ObserverPassword)
            : observerOptions.WithTlsOptions(o => o
                .UseTls()
                .WithClientCertificates([certificate])
                // The benchmark's own observer on loopback: it measures the broker, it does not guard it.
                .WithCertificateValidationHandler(_ => true));
        var connected = await observer.ConnectAsync(observerOptions.Build(), cancellationToken);
        if (connected.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"the broker refused the observer: {connected.ResultCode}");
        }

        // Only what is published from now on (not the retained states), at QoS 0: the observer never holds up the
        // broker's in-flight window, and the broker queues nothing for it.
        await observer.SubscribeAsync(
            new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(f => f
                    .WithTopic($"{Topics.DefaultPrefix}/{org}/+/{Topics.Desired}")
                    .WithAtMostOnceQoS()
                    .WithRetainHandling(MqttRetainHandling.DoNotSendOnSubscribe))
                .Build(),
            cancellationToken);

        Progress.Say($"switching org TOTP on over {n} devices");
        var cpu = new CpuSampler(options.Optional("cpu-pids"));
        cpu.Start();
        var start = Stopwatch.GetTimestamp();
        var putStatus = "200";
        try
        {
            await api.PutAsync($"/api/orgs/{org}/mfa/totp", new { enabled = true }, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // The switch may still be fanning out behind a failed or timed-out request: keep counting what gets published.
            putStatus = ex is TaskCanceledException ? "timeout" : ex.Message.Contains("-> 5", StringComparison.Ordinal) ? "5xx" : "error";
            Progress.Say($"the switch request failed ({ex.Message[..Math.Min(ex.Message.Length, 120)]}); still counting publishes");
        }

        var putReturned = Stopwatch.GetElapsedTime(start);

        // Until every device's new state was seen; or, when nothing new arrives for --stall seconds, the time of the
        // last one that did: reported with complete=no.
        var stall = TimeSpan.FromSeconds(int.Parse(options.Optional("stall") ?? "60", System.Globalization.CultureInfo.InvariantCulture));
        var seen = 0;
        var lastChange = Stopwatch.GetTimestamp();
        var said = lastChange;
        while (firstSeen.Count < n && Stopwatch.GetElapsedTime(lastChange) < stall && Stopwatch.GetElapsedTime(start) < options.Timeout)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
            if (firstSeen.Count != seen)
            {
                seen = firstSeen.Count;
                lastChange = Stopwatch.GetTimestamp();
            }

            if (Stopwatch.GetElapsedTime(said) > TimeSpan.FromSeconds(5))
            {
                said = Stopwatch.GetTimestamp();
                Progress.Say($"new desired states published: {firstSeen.Count}/{n} ({Stopwatch.GetElapsedTime(start).TotalSeconds:F0} s)");
            }
        }

        var total = firstSeen.IsEmpty ? Stopwatch.GetElapsedTime(start) : TimeSpan.FromTicks(0);
        var figures = new Figures();
        cpu.Stop(figures);
        var latencies = firstSeen.Values.Select(t => Stopwatch.GetElapsedTime(start, t).TotalMilliseconds).ToList();
        if (latencies.Count > 0)
        {
            total = TimeSpan.FromMilliseconds(latencies.Max());
        }

        await observer.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
        return figures
            .Add("devices", n)
            .Add("published", firstSeen.Count)
            .Add("complete", firstSeen.Count == n ? "yes" : "no")
            .Add("put_status", putStatus)
            .Add("seconds", total.TotalSeconds, 2)
            .Add("devices_per_s", firstSeen.Count / total.TotalSeconds, 0)
            .Add("publish_p50_ms", Percentiles.Of(latencies, 50), 0)
            .Add("publish_p99_ms", Percentiles.Of(latencies, 99), 0)
            .Add("put_returned_ms", putReturned.TotalMilliseconds, 0)
            .Add("messages", Interlocked.Read(ref received));
    }

    /// <summary>A certificate and its key from one PEM file, loaded so that TLS can use the key.</summary>
    private static X509Certificate2 LoadCertificate(string pem)
    {
        using var loaded = X509Certificate2.CreateFromPemFile(pem, pem);
        return X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), password: null);
    }
}
