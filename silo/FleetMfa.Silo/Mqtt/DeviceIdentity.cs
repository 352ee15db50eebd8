using System.Diagnostics.CodeAnalysis;
using FleetMfa.Grains;

namespace FleetMfa.Silo.Mqtt;

/// <summary>A device's MQTT identity: username (and client id) <c>{orgId}/{deviceId}</c>, which maps onto its topic subtree.</summary>
public sealed record DeviceIdentity(string OrgId, string DeviceId)
{
    public string Username => GrainKeys.Scoped(OrgId, DeviceId);

    public static bool TryParse(string? username, [NotNullWhen(true)] out DeviceIdentity? identity)
    {
        identity = null;
        var slash = username?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (slash <= 0)
        {
            return false;
        }

        var (orgId, deviceId) = (username![..slash], username[(slash + 1)..]);
        if (!Slug.IsValid(orgId) || !Slug.IsValid(deviceId))
        {
            return false;
        }

        identity = new DeviceIdentity(orgId, deviceId);
        return true;
    }
}
