namespace FleetMfa.Protocol;

/// <summary>
/// The MQTT topic tree (DESIGN §4): <c>{prefix}/{orgId}/{deviceId}/{desired|reported|events|presence|receipts}</c>.
/// Org and device ids are slugs, so they never contain <c>/</c>, <c>+</c> or <c>#</c>. A device reads <c>desired</c>
/// and <c>receipts</c> (the control plane's <c>AuditReceipt</c> for its <c>events</c>) and writes the rest.
/// </summary>
public sealed class Topics(string prefix = Topics.DefaultPrefix)
{
    public const string DefaultPrefix = "fleetmfa/v1";
    public const string Desired = "desired";
    public const string Reported = "reported";
    public const string Events = "events";
    public const string Presence = "presence";
    public const string Receipts = "receipts";

    /// <summary>The shared-subscription group every silo's bridge joins, so each report is handled once.</summary>
    public const string SharedGroup = "fleetmfa";

    public string Prefix { get; } = prefix.TrimEnd('/');

    public string For(string orgId, string deviceId, string kind) => $"{Prefix}/{orgId}/{deviceId}/{kind}";

    public string DesiredFor(string orgId, string deviceId) => For(orgId, deviceId, Desired);

    public string ReceiptsFor(string orgId, string deviceId) => For(orgId, deviceId, Receipts);

    /// <summary>Wildcard over every device's <paramref name="kind"/> topic.</summary>
    public string AllOf(string kind) => $"{Prefix}/+/+/{kind}";

    /// <summary>MQTT 5 shared subscription over every device's <paramref name="kind"/> topic.</summary>
    public string SharedAllOf(string kind) => $"$share/{SharedGroup}/{AllOf(kind)}";

    /// <summary>Splits a device topic into its org, device and kind; false for anything else.</summary>
    public bool TryParse(string topic, out string orgId, out string deviceId, out string kind)
    {
        orgId = deviceId = kind = "";
        if (!topic.StartsWith(Prefix + "/", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = topic[(Prefix.Length + 1)..].Split('/');
        if (parts.Length != 3 || !Ids.IsValid(parts[0]) || !Ids.IsValid(parts[1]) ||
            parts[2] is not (Desired or Reported or Events or Presence))
        {
            return false;
        }

        (orgId, deviceId, kind) = (parts[0], parts[1], parts[2]);
        return true;
    }
}
