using System.Text.Json;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Grains.Devices;

/// <summary>Parses and checks what an agent sends on its <c>reported</c> topic; anything malformed or impossible is refused with a reason.</summary>
public static class DeviceReports
{
    public const int MaxReportBytes = 64 * 1024;

    /// <summary>
    /// The highest applied version a report may carry: far beyond any a grain issues (one per change), with room to go on
    /// from it (<see cref="DeviceTwin.TakeReport"/> continues from an applied version ahead of its own).
    /// </summary>
    public const long MaxVersion = long.MaxValue / 2;

    /// <summary>
    /// The highest applied version <see cref="DeviceTwin.TakeReport"/> adopts from a device ahead of the grain: half of
    /// <see cref="MaxVersion"/>, so that the versions the grain issues after it (one per change) are always reports it
    /// takes. Adopting up to <see cref="MaxVersion"/> itself would let one report (say, forged by a holder of the bridge
    /// password) move the grain to a version whose acks it then drops as out of range: wedged again.
    /// </summary>
    public const long MaxAdoptedVersion = MaxVersion / 2;

    /// <summary>The report, or null with <paramref name="problem"/> saying why it is dropped.</summary>
    public static ReportedState? Parse(byte[]? payload, out string? problem)
    {
        ReportedState? report = null;
        problem = null;
        try
        {
            report = payload is { Length: > 0 and <= MaxReportBytes } ? JsonSerializer.Deserialize(payload, ProtocolJsonContext.Default.ReportedState) : null;
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
            { AppliedVersion: > MaxVersion } => "applied version out of range",

            // A failed version above the desired one is one the device got from an earlier incarnation of this control
            // plane (see DeviceTwin.TakeReport); it fails nothing here, and the report's applied version still counts.
            { FailedVersion: { } f } when f <= report.AppliedVersion || f > MaxVersion + 1 => "impossible failed version",
            { Reason.Length: > ReportedState.MaxReasonLength } => "reason too long",
            { Enforcement: { } e } when e.Detail is not { Length: > 0 and <= AuditEvent.MaxDetailLength } || e.Detail.Any(char.IsControl) => "invalid policy enforcement",
            { Users.Count: > 10_000 } => "too many users",
            _ when report.Users.Any(u => !Ids.IsValid(u.UserId) || u.SecretVersion < 0) => "invalid user entry",
            _ when !IsSane(report.Device) => "invalid device facts",
            _ => null,
        };
        return problem is null ? report : null;
    }

    private static bool IsSane(DeviceReport device) =>
        device.OsVersion is { Length: > 0 and <= 64 } && !device.OsVersion.Any(char.IsControl) &&
        device.AgentVersion is { Length: > 0 and <= 64 } && !device.AgentVersion.Any(char.IsControl) &&
        DeviceFactsRules.Problem(device.AuthPlugins, device.DisplayHeightPixels) is null;
}
