using System.Text.Json.Nodes;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// <c>ReportedState</c> documents (DESIGN §4) written by hand, as a device would put them on <c>…/reported</c> —
/// independent of the protocol assembly, so a test can also send what no agent would.
/// </summary>
public static class ReportJson
{
    public static JsonObject Create(long appliedVersion, string osVersion, int schema = 1, string agentVersion = "0.1.0") => new()
    {
        ["schema"] = schema,
        ["appliedVersion"] = appliedVersion,
        ["failedVersion"] = null,
        ["reason"] = null,
        ["device"] = new JsonObject
        {
            ["hostname"] = "reported-host",
            ["os"] = "linux",
            ["osVersion"] = osVersion,
            ["sshServerInstalled"] = true,
            ["authPlugins"] = new JsonArray(),
            ["displayHeightPixels"] = null,
            ["agentVersion"] = agentVersion,
            ["clockOffsetMilliseconds"] = null,
        },
        ["users"] = new JsonArray(),
        ["at"] = DateTimeOffset.UtcNow,
    };

    public static byte[] Bytes(JsonObject report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return System.Text.Encoding.UTF8.GetBytes(report.ToJsonString());
    }
}
