using System.Security.Cryptography;
using System.Text.Json;
using FleetMfa.Grains;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// What a device's agent would send, handed straight to its grain: an enrollment with a fresh key pair, and reports
/// (applied, failed, policy checks). No agent code and no MQTT — the end-to-end suites run the real agent, as a process
/// or in-process (tests/FleetMfa.Testing <c>InProcessAgent</c>).
/// </summary>
internal static class AgentReports
{
    public static async Task<DeviceDetail> EnrollAgentAsync(this IGrainFactory grains, string orgId, string deviceId, DeviceOs os = DeviceOs.Linux, string osVersion = "Debian 13")
    {
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        return await grains.GetDevice(orgId, deviceId).EnrollAgentAsync(
            new AgentEnrollment($"{deviceId}.example", os, osVersion, key.ExportSubjectPublicKeyInfo(), SHA256.HashData(RandomNumberGenerator.GetBytes(16))));
    }

    /// <summary>Reports the device's current desired version as applied.</summary>
    public static async Task AckAsync(this IGrainFactory grains, string orgId, string deviceId)
    {
        var detail = await grains.GetDevice(orgId, deviceId).GetAsync() ?? throw new InvalidOperationException($"{deviceId} is not registered.");
        await ReportAsync(grains, orgId, deviceId, detail.Mfa.DesiredVersion, null, null, detail.OsVersion);
    }

    /// <summary>Reports that the device could not apply its current desired version.</summary>
    public static async Task FailAsync(this IGrainFactory grains, string orgId, string deviceId, string reason)
    {
        var detail = await grains.GetDevice(orgId, deviceId).GetAsync() ?? throw new InvalidOperationException($"{deviceId} is not registered.");
        await ReportAsync(grains, orgId, deviceId, detail.Mfa.AppliedVersion, detail.Mfa.DesiredVersion, reason, detail.OsVersion);
    }

    /// <summary>Reports <paramref name="applied"/> as the applied version, sent at <paramref name="at"/> by the agent's clock.</summary>
    public static async Task ReportAppliedAsync(this IGrainFactory grains, string orgId, string deviceId, long applied, DateTimeOffset at)
    {
        var detail = await grains.GetDevice(orgId, deviceId).GetAsync() ?? throw new InvalidOperationException($"{deviceId} is not registered.");
        await ReportAsync(grains, orgId, deviceId, applied, null, null, detail.OsVersion, at);
    }

    /// <summary>Reports the current desired version applied, with what the agent's last policy check found.</summary>
    public static async Task ReportEnforcementAsync(this IGrainFactory grains, string orgId, string deviceId, PolicyEnforcement? enforcement)
    {
        var detail = await grains.GetDevice(orgId, deviceId).GetAsync() ?? throw new InvalidOperationException($"{deviceId} is not registered.");
        await ReportAsync(grains, orgId, deviceId, detail.Mfa.DesiredVersion, null, null, detail.OsVersion, enforcement: enforcement);
    }

    /// <summary>A decommissioned agent's last report: it wiped itself at the current desired version.</summary>
    public static async Task ReportWipedAsync(this IGrainFactory grains, string orgId, string deviceId)
    {
        var detail = await grains.GetDevice(orgId, deviceId).GetAsync() ?? throw new InvalidOperationException($"{deviceId} is not registered.");
        await ReportAsync(grains, orgId, deviceId, detail.Mfa.DesiredVersion, null, null, detail.OsVersion, wiped: true);
    }

    private static Task ReportAsync(
        IGrainFactory grains, string orgId, string deviceId, long applied, long? failed, string? reason, string osVersion, DateTimeOffset? at = null, PolicyEnforcement? enforcement = null, bool wiped = false)
    {
        var report = new ReportedState(
            ReportedState.CurrentSchema,
            applied,
            failed,
            reason,
            new DeviceReport($"{deviceId}.example", "linux", osVersion, true, [], null, "1.0.0-test", 0),
            [],
            at ?? DateTimeOffset.UtcNow,
            enforcement,
            wiped);
        return grains.GetDevice(orgId, deviceId).ReportAsync(JsonSerializer.SerializeToUtf8Bytes(report, ProtocolJsonContext.Default.ReportedState));
    }
}
