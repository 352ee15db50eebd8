using System.Text.Json.Nodes;

namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>Reading an org's audit trail (<c>GET /api/orgs/{org}/audit</c>).</summary>
public static class AuditApi
{
    /// <summary>Every record of <paramref name="orgId"/>, newest first, walking the pages of <paramref name="limit"/>.</summary>
    public static async Task<List<JsonNode>> ReadAuditAsync(this ApiClient api, string orgId, int limit = 500)
    {
        ArgumentNullException.ThrowIfNull(api);
        var items = new List<JsonNode>();
        string? cursor = null;
        for (var pages = 0; pages < 100; pages++)
        {
            var path = $"/api/orgs/{orgId}/audit?limit={limit}" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}");
            var page = (await api.GetAsync(path)).Ok();
            items.AddRange(page["items"]!.AsArray().Select(i => i!));
            cursor = (string?)page["nextCursor"];
            if (cursor is null)
            {
                return items;
            }
        }

        throw new InvalidOperationException($"The audit trail of {orgId} did not end within 100 pages.");
    }

    /// <summary>The device login records of <paramref name="orgId"/>, newest first.</summary>
    public static async Task<List<JsonNode>> ReadDeviceEventsAsync(this ApiClient api, string orgId) =>
        [.. (await api.ReadAuditAsync(orgId)).Where(i => (string?)i["kind"] == "device")];
}
