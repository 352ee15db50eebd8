using System.Diagnostics.Metrics;

namespace FleetMfa.Grains.Diagnostics;

/// <summary>
/// The control plane's own instruments, on the <see cref="MeterName"/> meter (System.Diagnostics.Metrics; the host
/// exports them — Prometheus at <c>/metrics</c>). Prometheus names: <c>fleetmfa_agents_connected</c>,
/// <c>fleetmfa_desired_publishes_total</c>, <c>fleetmfa_desired_acks_total</c>,
/// <c>fleetmfa_desired_ack_duration_seconds</c>, <c>fleetmfa_verifications_total{result,late}</c>,
/// <c>fleetmfa_rollout_devices_total{outcome}</c>, <c>fleetmfa_audit_records_total{kind}</c>,
/// <c>fleetmfa_auth_refusals_total{reason,credential}</c>, <c>fleetmfa_rate_limited_requests_total</c>.
/// </summary>
public sealed class FleetMetrics
{
    public const string MeterName = "FleetMfa";

    /// <summary>Publish → ack takes milliseconds online and minutes or days for a device that was offline.</summary>
    private static readonly double[] AckBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400];

    private readonly UpDownCounter<long> _agentsConnected;
    private readonly Counter<long> _desiredPublishes;
    private readonly Counter<long> _desiredAcks;
    private readonly Histogram<double> _ackDuration;
    private readonly Counter<long> _verifications;
    private readonly Counter<long> _rolloutDevices;
    private readonly Counter<long> _auditRecords;
    private readonly Counter<long> _authRefusals;
    private readonly Counter<long> _rateLimited;

    public FleetMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _agentsConnected = meter.CreateUpDownCounter<long>("fleetmfa.agents.connected", "{agent}", "Agents whose presence is online, by the device grains of this silo.");
        _desiredPublishes = meter.CreateCounter<long>("fleetmfa.desired.publishes", "{publish}", "Desired-state documents published to devices.");
        _desiredAcks = meter.CreateCounter<long>("fleetmfa.desired.acks", "{ack}", "Reports in which an agent acknowledged a newer desired-state version.");
        _ackDuration = meter.CreateHistogram(
            "fleetmfa.desired.ack.duration",
            "s",
            "Time from publishing a desired state to the agent's report that it applied it.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = AckBuckets });
        _verifications = meter.CreateCounter<long>("fleetmfa.verifications", "{verification}", "Login decisions devices made offline and uploaded, by result.");
        _rolloutDevices = meter.CreateCounter<long>("fleetmfa.rollout.devices", "{device}", "Devices that finished a rollout, by outcome.");
        _auditRecords = meter.CreateCounter<long>("fleetmfa.audit.records", "{record}", "Records appended to the audit trail, by kind.");

        _authRefusals = meter.CreateCounter<long>("fleetmfa.auth.refusals", "{refusal}", "Refused authentications on the HTTP API, by reason and kind of credential.");
        _rateLimited = meter.CreateCounter<long>("fleetmfa.rate_limited.requests", "{request}", "HTTP requests refused with 429 by the rate limits.");

        // Exported from the start (as 0), not only once the first agent connects.
        _agentsConnected.Add(0);
    }

    public void AgentConnected() => _agentsConnected.Add(1);

    public void AgentDisconnected() => _agentsConnected.Add(-1);

    public void DesiredPublished() => _desiredPublishes.Add(1);

    /// <summary>An ack of a newer version; <paramref name="sincePublish"/> is null when this activation did not publish it.</summary>
    public void DesiredAcked(TimeSpan? sincePublish)
    {
        _desiredAcks.Add(1);
        if (sincePublish is { } latency && latency >= TimeSpan.Zero)
        {
            _ackDuration.Record(latency.TotalSeconds);
        }
    }

    /// <summary>One uploaded login decision: <paramref name="result"/> is <c>accepted</c>, <c>rejected</c>, <c>locked-out</c> or <c>not-required</c>.</summary>
    public void Verified(string result, bool late) =>
        _verifications.Add(1, new KeyValuePair<string, object?>("result", result), new KeyValuePair<string, object?>("late", late ? "true" : "false"));

    /// <summary>A device finished a rollout: <paramref name="outcome"/> is <c>succeeded</c>, <c>rejected</c> or <c>failed</c>.</summary>
    public void RolloutDeviceFinished(string outcome) =>
        _rolloutDevices.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void AuditRecorded(Audit.AuditKind kind, int count) =>
        _auditRecords.Add(count, new KeyValuePair<string, object?>("kind", kind == Audit.AuditKind.Operator ? "operator" : "device"));

    /// <summary>
    /// A refused authentication: <paramref name="reason"/> is <c>unauthorized</c> or <c>forbidden</c>,
    /// <paramref name="credential"/> <c>none</c>, <c>malformed</c>, <c>admin</c>, <c>operator-key</c> or <c>connect-key</c>.
    /// </summary>
    public void AuthRefused(string reason, string credential) =>
        _authRefusals.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("credential", credential));

    public void RateLimited() => _rateLimited.Add(1);
}
