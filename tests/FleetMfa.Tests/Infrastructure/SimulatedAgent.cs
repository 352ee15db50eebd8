using System.Security.Cryptography;
using System.Text.Json;
using FleetMfa.Grains;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// Plays a device's agent against its grain for unit tests: enrolls a key pair and sends the reports an agent would
/// (the real agent talks MQTT; the end-to-end suites use it).
/// </summary>
internal static class SimulatedAgent
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

    private static Task ReportAsync(
        IGrainFactory grains, string orgId, string deviceId, long applied, long? failed, string? reason, string osVersion, DateTimeOffset? at = null, PolicyEnforcement? enforcement = null)
    {
        var report = new ReportedState(
            ReportedState.CurrentSchema,
            applied,
            failed,
            reason,
            new DeviceReport($"{deviceId}.example", "linux", osVersion, true, [], null, "1.0.0-test", 0),
            [],
            at ?? DateTimeOffset.UtcNow,
            enforcement);
        return grains.GetDevice(orgId, deviceId).ReportAsync(JsonSerializer.SerializeToUtf8Bytes(report, ProtocolJsonContext.Default.ReportedState));
    }
}
